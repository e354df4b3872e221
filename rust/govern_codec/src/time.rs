//! ISO-8601 text for the date, time and timestamp logical types, converted exactly (no digit dropped).
//!
//! Accepted: `YYYY-MM-DD`; `HH:MM[:SS[.f…]]`; `YYYY-MM-DD[T| ]HH:MM[:SS[.f…]]` followed, for
//! timestamps, by `Z` or `±HH[:MM]` (required) and, for local timestamps, by nothing.

use crate::encode::repr;
use crate::schema::Time;

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian), None when the date does not exist.
fn days(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (number(&text[0..4])?, number(&text[5..7])?, number(&text[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Nanoseconds since midnight of `HH:MM[:SS[.f…]]`, None when malformed or finer than nanoseconds.
fn clock(text: &str) -> Option<i64> {
    let (main, fraction) = match text.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => (m, f),
        Some(_) => return None,
        None => (text, ""),
    };
    let parts: Vec<&str> = main.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    if parts.len() == 2 && !fraction.is_empty() {
        return None;
    }
    let h = number(parts[0])?;
    let m = number(parts[1])?;
    let s = if parts.len() == 3 { number(parts[2])? } else { 0 };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let nanos = if fraction.is_empty() { 0 } else { number(&format!("{fraction:0<9}"))? };
    Some(((h * 60 + m) * 60 + s) * 1_000_000_000 + nanos)
}

/// Split a UTC offset off the end: (rest, offset in seconds or None when absent).
fn offset(text: &str) -> Option<(&str, Option<i64>)> {
    if let Some(rest) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((rest, Some(0)));
    }
    // the time part starts after the date's 10 characters: look for a sign after it
    let position = text.get(11..)?.rfind(['+', '-']).map(|p| p + 11);
    let Some(p) = position else { return Some((text, None)) };
    let (rest, sign_and) = text.split_at(p);
    let sign = if sign_and.starts_with('-') { -1 } else { 1 };
    let digits = sign_and[1..].replace(':', "");
    let (h, m) = match digits.len() {
        2 => (number(&digits)?, 0),
        4 => (number(&digits[..2])?, number(&digits[2..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some((rest, Some(sign * (h * 3600 + m * 60))))
}

/// The logical type's integer for ISO-8601 `text`.
pub fn time_value(text: &str, logical: Time) -> Result<i64, String> {
    let name = logical.name();
    let quoted = repr(&text.chars().take(40).collect::<String>());
    let invalid = || format!("invalid ISO-8601 {name} {quoted}");
    let finer = |unit: &str| format!("{name} {quoted} has digits finer than {unit}");
    let per_unit: i64 = match logical {
        Time::Date => return days(text).ok_or_else(invalid),
        Time::TimeMillis => 1_000_000,
        Time::TimeMicros => 1_000,
        Time::TimestampMillis | Time::LocalMillis => 1_000_000,
        Time::TimestampMicros | Time::LocalMicros => 1_000,
        Time::TimestampNanos | Time::LocalNanos => 1,
    };
    let unit = &name[name.rfind('-').map_or(0, |p| p + 1)..];
    if matches!(logical, Time::TimeMillis | Time::TimeMicros) {
        if text.ends_with('Z') || text.contains('+') || text.contains('-') {
            return Err(format!("{name} {quoted} must not have a UTC offset"));
        }
        let nanos = clock(text).ok_or_else(invalid)?;
        if nanos % per_unit != 0 {
            return Err(finer(unit));
        }
        return Ok(nanos / per_unit);
    }
    let local = matches!(logical, Time::LocalMillis | Time::LocalMicros | Time::LocalNanos);
    if text.len() < 11 || !matches!(text.as_bytes()[10], b'T' | b't' | b' ') {
        return Err(invalid());
    }
    let (rest, shift) = offset(text).ok_or_else(invalid)?;
    match (local, shift) {
        (true, Some(_)) => return Err(format!("{name} {quoted} must not have a UTC offset")),
        (false, None) => return Err(format!("{name} {quoted} needs a UTC offset (e.g. a trailing Z)")),
        _ => {}
    }
    let day = days(&rest[..10]).ok_or_else(invalid)?;
    let nanos = clock(&rest[11..]).ok_or_else(invalid)?;
    if nanos % per_unit != 0 {
        return Err(finer(unit));
    }
    let seconds = day * 86_400 - shift.unwrap_or(0);
    let per_second = 1_000_000_000 / per_unit;
    seconds
        .checked_mul(per_second)
        .and_then(|s| s.checked_add(nanos / per_unit))
        .ok_or_else(|| format!("{quoted} is out of range for {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_timestamps() {
        assert_eq!(time_value("1970-01-01", Time::Date), Ok(0));
        assert_eq!(time_value("2000-03-01", Time::Date), Ok(11_017));
        assert_eq!(time_value("1969-12-31", Time::Date), Ok(-1));
        assert!(time_value("2001-02-29", Time::Date).is_err());
        assert_eq!(time_value("00:00:01.5", Time::TimeMillis), Ok(1500));
        assert!(time_value("00:00:01.5001", Time::TimeMillis).is_err());
        assert_eq!(time_value("1970-01-01T00:00:01Z", Time::TimestampMillis), Ok(1000));
        assert_eq!(time_value("1970-01-01T01:00:00+01:00", Time::TimestampMicros), Ok(0));
        assert_eq!(time_value("1969-12-31T23:59:59.999999999Z", Time::TimestampNanos), Ok(-1));
        assert!(time_value("1970-01-01T00:00:00", Time::TimestampMillis).is_err());
        assert!(time_value("1970-01-01T00:00:00Z", Time::LocalMillis).is_err());
        assert_eq!(time_value("1970-01-02 00:00:00", Time::LocalMillis), Ok(86_400_000));
        assert!(time_value("9999-12-31T23:59:59Z", Time::TimestampNanos).is_err());
    }
}
