use std::fmt;

/// A calendar date (`YYYY-MM-DD`), enough for questionnaire rules: compare, subtract, add years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`; `None` for anything else or an impossible day.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[5..7].parse().ok()?;
        let day = text[8..10].parse().ok()?;
        Date::new(year, month, day)
    }

    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), for differences between dates.
    pub fn days_from_epoch(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Days from `earlier` to `self` (negative when `self` is before).
    pub fn days_since(&self, earlier: Date) -> i64 {
        self.days_from_epoch() - earlier.days_from_epoch()
    }

    /// The same day `years` later (29 February becomes 28 February in a common year).
    pub fn add_years(&self, years: i32) -> Date {
        let year = self.year + years;
        Date { year, month: self.month, day: self.day.min(days_in_month(year, self.month)) }
    }

    /// The same day `months` later, clamped to the end of a shorter month.
    pub fn add_months(&self, months: i32) -> Date {
        let total = self.year * 12 + self.month as i32 - 1 + months;
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        Date { year, month, day: self.day.min(days_in_month(year, month)) }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Date::parse("2017-08-01"), Date::new(2017, 8, 1));
        assert_eq!(Date::parse("2017-02-29"), None);
        assert_eq!(Date::parse("2016-02-29").map(|d| d.add_years(1)), Date::new(2017, 2, 28));
        assert_eq!(Date::parse("17-08-01"), None);
    }

    #[test]
    fn counts_days() {
        let a = Date::parse("1970-01-01").unwrap();
        assert_eq!(a.days_from_epoch(), 0);
        let b = Date::parse("2018-01-01").unwrap();
        assert_eq!(b.days_since(Date::parse("2017-01-01").unwrap()), 365);
        assert_eq!(Date::parse("2017-11-30").unwrap().add_months(3), Date::parse("2018-02-28").unwrap());
    }
}
