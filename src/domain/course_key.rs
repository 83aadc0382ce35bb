//! PLACEHOLDER until the parser lands.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct CourseKeyError {
    pub reason: String,
}
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CourseKey(String);
impl CourseKey {
    pub fn parse(s: &str) -> Result<CourseKey, CourseKeyError> {
        Ok(CourseKey(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn org(&self) -> &str {
        &self.0
    }
}
