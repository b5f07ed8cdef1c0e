//! Times on the wire: RFC 3339 UTC with microseconds, written and read by hand (fixes are
//! written, and consoles read their times back, hundreds of thousands of times a second),
//! and the wall clock as Unix µs, the one clock every load process shares.

use std::fmt::Write as _;

/// Writes a Unix time in µs as RFC 3339 UTC with microseconds: `2026-11-27T08:00:00.123456Z`.
pub fn write_rfc3339(out: &mut String, at_us: i64) {
    let secs = at_us.div_euclid(1_000_000);
    let micros = at_us.rem_euclid(1_000_000);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
        }
        // Out of time's range: not a time this tool produces; write the epoch.
        Err(_) => out.push_str("1970-01-01T00:00:00.000000Z"),
    }
}

/// Reads an RFC 3339 UTC time (`2026-11-27T08:00:00.123456Z`, any number of fraction
/// digits, `Z` or `+00:00`) as Unix time in µs. Hand-written because consoles read
/// hundreds of thousands of them a second; anything else is `None`.
pub fn parse_rfc3339_us(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut micros = 0i64;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000i64;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            micros += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    match &b[i..] {
        b"Z" | b"+00:00" => {}
        _ => return None,
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000) + micros)
}

/// Now, as Unix time in µs.
pub fn now_us() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_with_micros() {
        let mut s = String::new();
        write_rfc3339(&mut s, 1_795_766_400_123_456);
        assert_eq!(s, "2026-11-27T08:00:00.123456Z");
        let parsed =
            time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .expect("parses");
        assert_eq!(parsed.unix_timestamp_nanos(), 1_795_766_400_123_456_000);
    }

    #[test]
    fn rfc3339_reads_back() {
        for us in [
            0,
            1_795_766_400_123_456,
            1_709_164_800_000_001,
            951_782_400_500_000,
        ] {
            let mut s = String::new();
            write_rfc3339(&mut s, us);
            assert_eq!(parse_rfc3339_us(&s), Some(us), "{s}");
        }
        assert_eq!(
            parse_rfc3339_us("2026-11-27T08:00:00Z"),
            Some(1_795_766_400_000_000)
        );
        assert_eq!(
            parse_rfc3339_us("2026-11-27T08:00:00.5+00:00"),
            Some(1_795_766_400_500_000)
        );
        assert_eq!(parse_rfc3339_us("2026-11-27T08:00:00+08:00"), None);
        assert_eq!(parse_rfc3339_us("yesterday"), None);
    }
}
