# The plugin's version is the service's (Cargo.toml): the default image is tagged with it.
__version__ = "0.1.0"
