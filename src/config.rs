//! Where the shop listens and keeps its data: defaults < `cornershop.toml` < `CORNERSHOP_*`
//! environment < command-line flags. Everything else is a setting stored in the database.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The resolved start-up configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub address: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// The config file that was read, if any (a desktop start without one opens the browser).
    pub config_file: Option<PathBuf>,
}

/// The subset of `cornershop.toml` we read; unknown keys are refused so typos show.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    address: Option<IpAddr>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
}

/// Values given on the command line (already merged with the environment by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub address: Option<IpAddr>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
}

pub const DEFAULT_PORT: u16 = 8000;

impl Config {
    /// Resolves the configuration; a config file that cannot be read or parsed is an error
    /// with the file name in it, never silently ignored.
    pub fn load(over: &Overrides) -> Result<Config, String> {
        let file_path = over
            .config_file
            .clone()
            .or_else(|| Some(PathBuf::from("cornershop.toml")).filter(|p| p.is_file()));
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Ok(Config {
            address: over
                .address
                .or(file.address)
                .unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: over.port.or(file.port).unwrap_or(DEFAULT_PORT),
            data_dir: over
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(default_data_dir),
            config_file: file_path,
        })
    }

    /// A configuration for tests and the throw-away demo: loopback, given port and dir.
    pub fn for_dir(data_dir: &Path, port: u16) -> Config {
        Config {
            address: IpAddr::from([127, 0, 0, 1]),
            port,
            data_dir: data_dir.to_path_buf(),
            config_file: None,
        }
    }

    /// The URL people type to reach the shop from this machine.
    pub fn local_url(&self) -> String {
        url_for(self.address, self.port)
    }
}

/// The URL that reaches a server listening on `address:port` from this machine.
pub fn url_for(address: IpAddr, port: u16) -> String {
    let host = match address {
        IpAddr::V4(a) if a.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(a) if a.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
        IpAddr::V4(a) => a.to_string(),
    };
    format!("http://{host}:{port}")
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {} is not valid: {e}", path.display()))
}

/// The platform's per-user data folder (e.g. ~/.local/share/cornershop), or ./cornershop-data.
fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("cornershop"))
        .unwrap_or_else(|| PathBuf::from("cornershop-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "port = 9001\naddress = \"0.0.0.0\"\n").unwrap();
        let over = Overrides {
            port: Some(9100),
            config_file: Some(file),
            ..Overrides::default()
        };
        let c = Config::load(&over).unwrap();
        assert_eq!(c.port, 9100);
        assert_eq!(c.address.to_string(), "0.0.0.0");
        assert_eq!(c.local_url(), "http://127.0.0.1:9100");
    }

    #[test]
    fn a_typo_in_the_file_is_reported_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "prot = 1\n").unwrap();
        let err = Config::load(&Overrides {
            config_file: Some(file),
            ..Overrides::default()
        })
        .unwrap_err();
        assert!(err.contains("c.toml") && err.contains("prot"), "{err}");
    }
}
