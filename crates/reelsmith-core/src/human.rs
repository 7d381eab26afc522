//! Figures as people read them in messages, progress lines and the window.

/// A byte count in decimal units with one decimal: "512 bytes", "17.7 KB", "1.5 MB", "2.1 GB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn picks_the_unit_people_expect() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(17_700), "17.7 KB");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(bytes(2_100_000_000), "2.1 GB");
    }
}

/// A count with thousands separated by commas: 1234 → "1,234".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1234), "1,234");
        assert_eq!(super::count(1_234_567), "1,234,567");
    }
}

/// The first `n` characters of `s` (trimmed), with "…" when it was longer.
pub fn excerpt(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
