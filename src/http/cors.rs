//! The web origins an operator allows to call the API from a browser (the CORS headers
//! themselves are added by `hygiene`).

use std::str::FromStr;

/// Web origins whose pages may call the API from a browser. Empty (the default) means none:
/// plusk's clients are servers, and an API key must not live in somebody's browser by accident.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsOrigins(Vec<String>);

impl CorsOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

impl FromStr for CorsOrigins {
    type Err = String;

    /// A comma-separated list of origins, each `scheme://host[:port]` exactly as browsers send
    /// it in `Origin` (no path, no trailing slash, no wildcard).
    fn from_str(s: &str) -> Result<CorsOrigins, String> {
        let mut out = Vec::new();
        for raw in s.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let origin = raw.strip_suffix('/').unwrap_or(raw);
            let (scheme, host) = origin
                .split_once("://")
                .ok_or_else(|| format!("`{raw}` is not an origin like https://app.example"))?;
            let scheme_ok =
                scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
            if !scheme_ok || !host_ok {
                return Err(format!(
                    "`{raw}` is not an origin like https://app.example (http or https, a host, \
                     an optional port, nothing else)"
                ));
            }
            out.push(origin.to_ascii_lowercase());
        }
        Ok(CorsOrigins(out))
    }
}
