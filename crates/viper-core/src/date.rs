//! HTTP dates (RFC 9110 §5.6.7, the IMF-fixdate form) from a count of seconds since the
//! Unix epoch, without a clock and without allocation.
//!
//! An origin server with a clock must send `Date` on its responses (RFC 9110 §6.6.1).
//! The adapter owns the clock: it reads the wall-clock time, and [`DateCache`] formats it
//! at most once per second, which is all the resolution the header has.

use core::fmt;

/// The length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const HTTP_DATE_LEN: usize = 29;

/// A formatted IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HttpDate([u8; HTTP_DATE_LEN]);

impl HttpDate {
    /// The date `unix_secs` seconds after 1970-01-01T00:00:00Z. Dates past the year
    /// 9999 (which the format cannot write) are clamped to 9999-12-31T23:59:59Z.
    pub fn from_unix_secs(unix_secs: u64) -> Self {
        const MAX: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
        let t = unix_secs.min(MAX);
        let days = t / 86_400;
        let rem = t % 86_400;
        let (hour, min, sec) = (rem / 3600, rem % 3600 / 60, rem % 60);
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday.
        let weekday = ((days + 4) % 7) as usize;
        const WD: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
        const MO: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let mut b = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        b[0..3].copy_from_slice(WD[weekday]);
        two(&mut b[5..7], day);
        b[8..11].copy_from_slice(MO[(month - 1) as usize]);
        two(&mut b[12..14], year / 100);
        two(&mut b[14..16], year % 100);
        two(&mut b[17..19], hour);
        two(&mut b[20..22], min);
        two(&mut b[23..25], sec);
        HttpDate(b)
    }

    /// The formatted date as bytes (always ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The formatted date as text.
    pub fn as_str(&self) -> &str {
        // Every byte written above is ASCII.
        core::str::from_utf8(&self.0).unwrap_or("Thu, 01 Jan 1970 00:00:00 GMT")
    }
}

impl fmt::Debug for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpDate({})", self.as_str())
    }
}

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes `v % 100` as two ASCII digits.
fn two(out: &mut [u8], v: u64) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// (year, month 1–12, day 1–31) of the proleptic Gregorian calendar, `days` after
/// 1970-01-01. Counts in 400-year eras that start on 1 March, so the leap day is the
/// last day of an era-year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the origin to 0000-03-01: 719 468 days before 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097; // day of era, 0..=146 096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The `Date` value for the current second, formatted once per second.
///
/// ```
/// use viper_core::DateCache;
///
/// let mut cache = DateCache::new();
/// assert_eq!(cache.get(784_111_777).as_str(), "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(cache.get(784_111_777).as_str(), "Sun, 06 Nov 1994 08:49:37 GMT"); // cached
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DateCache {
    secs: u64,
    date: HttpDate,
}

impl DateCache {
    /// A cache holding the epoch's date.
    pub fn new() -> Self {
        DateCache {
            secs: 0,
            date: HttpDate::from_unix_secs(0),
        }
    }

    /// The date for `unix_secs`, reformatted only when the second changed.
    pub fn get(&mut self, unix_secs: u64) -> HttpDate {
        if unix_secs != self.secs {
            self.secs = unix_secs;
            self.date = HttpDate::from_unix_secs(unix_secs);
        }
        self.date
    }
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // Expected values from GNU date: LC_ALL=C date -u -d @SECS "+%a, %d %b %Y %H:%M:%S GMT".
        let cases: &[(u64, &str)] = &[
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"), // RFC 9110's example
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), // 400-year leap day
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"), // 2100 is not leap
            (1_796_256_000, "Thu, 03 Dec 2026 00:00:00 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (u64::MAX, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (secs, want) in cases {
            assert_eq!(HttpDate::from_unix_secs(*secs).as_str(), *want, "{secs}");
        }
    }

    /// Day by day over 1970–2400, the calendar agrees with a plain year/month walk.
    #[test]
    fn every_day_matches_a_naive_calendar() {
        let leap = |y: u64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let mut days = 0u64;
        for year in 1970..2400u64 {
            for month in 1..=12u64 {
                let len = match month {
                    2 if leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                for day in 1..=len {
                    assert_eq!(civil_from_days(days), (year, month, day));
                    days += 1;
                }
            }
        }
    }
}
