//! The default `host` tag.

/// This machine's short host name (up to the first `.`, as go-metrics'
/// OpenTSDB reporter sent it): the kernel's host name, else
/// `/etc/hostname`, else `$HOSTNAME`, else `unknown`.
pub(crate) fn short_hostname() -> String {
    let from_file = |path: &str| std::fs::read_to_string(path).ok();
    [
        from_file("/proc/sys/kernel/hostname"),
        from_file("/etc/hostname"),
        std::env::var("HOSTNAME").ok(),
    ]
    .into_iter()
    .flatten()
    .find_map(|name| short(&name))
    .unwrap_or_else(|| "unknown".to_string())
}

/// The first label of a host name, if it has one.
fn short(name: &str) -> Option<String> {
    let name = name.trim();
    let first = name.split('.').next().unwrap_or(name);
    (!first.is_empty()).then(|| first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_stop_at_the_first_dot() {
        assert_eq!(short("db-1.example.com\n").as_deref(), Some("db-1"));
        assert_eq!(short("db-1").as_deref(), Some("db-1"));
        assert_eq!(short(" \n"), None);
        assert_eq!(short(".example.com"), None);
        assert!(!short_hostname().is_empty());
    }
}
