//! PLACEHOLDER until the validated newtypes land.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

macro_rules! newtype {
    ($n:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $n(String);
        impl $n {
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                if s.is_empty() {
                    return Err(InvalidValue("must not be empty".into()));
                }
                Ok($n(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn key(&self) -> String {
                self.0.to_lowercase()
            }
        }
    };
}
newtype!(ShortName);
newtype!(PartnerCode);
newtype!(Domain);
impl Domain {
    pub fn without_port(&self) -> Option<&str> {
        self.0.rsplit_once(':').map(|(h, _)| h)
    }
}
