//! Public holidays and working days of Vietnam's state agencies (R-OP-3).
//!
//! State agencies work Monday to Friday (40-hour week); Saturday and
//! Sunday are the weekly days off. On top of that:
//!
//! - **Labour Code 2019 (45/2019/QH14), Art. 112(1)**, in force since
//!   1 Jan 2021: New Year's Day 1/1 (1 day); Tết Nguyên đán (5 days);
//!   Hùng Kings' Commemoration, 10/3 lunar (1 day); Victory Day 30/4
//!   (1 day); International Labour Day 1/5 (1 day); National Day 2/9 plus
//!   one adjacent day before or after (2 days). These rules are applied to
//!   every year, also before 2021 (when National Day was one day): the
//!   calendar is for deadlines from now on, not for history.
//! - **Art. 112(3)**: the Prime Minister sets the actual Tết days each
//!   year. The default here, used when no announcement is loaded for the
//!   year, is the last day of the old lunar year plus days 1–4 of the new
//!   one. National Day's adjacent day defaults to the one that joins the
//!   weekend (or is before 2/9 when neither does), which matches the
//!   Government's choice in every year 2021–2026: 2/9 on Monday → 3/9,
//!   Tuesday → 1/9, Wednesday → 1/9, Thursday → 3/9, Friday → 1/9,
//!   Saturday → 1/9, Sunday → 3/9.
//! - **Art. 111(3)**: a holiday on a Saturday or Sunday gives a
//!   compensatory day off (*nghỉ bù*) on the next working day, computed
//!   here in date order so that consecutive holidays get consecutive
//!   compensatory days.
//! - **Yearly announcements** are data, [`Adjustment`]s, kept in
//!   `data/calendar-vn.toml` ([`Calendar::bundled`]) and editable by the
//!   operator ([`parse_adjustments`], [`format_adjustments`]):
//!   - `day_off`: a weekday off (the day-off half of a swap, or an extra
//!     day off);
//!   - `working_day`: a Saturday or Sunday worked (the other half of a
//!     swap); on a weekday it cancels a computed day off (e.g. when the
//!     Government picks the other day next to 2/9);
//!   - `tet_day_off`: the year's announced Tết days off. If a calendar year
//!     has any, they REPLACE that year's default Tết days and their
//!     compensatory days: list every weekday off of the Tết break,
//!     compensatory days included;
//!   - `holiday`: a public holiday added by a later law for that date,
//!     compensated like the Labour Code holidays if it falls on a weekend
//!     (e.g. 24/11, Vietnam Culture Day, from 2026).
//!
//!   An announcement always wins over the rules for its date. Compensatory
//!   days are computed: they are not listed as `day_off` (they would be
//!   counted once, but shown with the announcement's wording).
use super::lunar::{self, FIRST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR};
use super::CalendarError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use time::{Date, Duration, Month, Weekday};

/// The bundled announcements for 2024–2026.
const BUNDLED: &str = include_str!("../../data/calendar-vn.toml");

/// The kind of an announced adjustment; stored by its [`as_str`](Self::as_str) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// A weekday announced as a day off.
    DayOff,
    /// A Saturday or Sunday announced as a working day (or a computed day
    /// off cancelled).
    WorkingDay,
    /// One of the year's announced Tết days off; replaces the default Tết.
    TetDayOff,
    /// A public holiday set by a later law; compensated if on a weekend.
    Holiday,
}

impl AdjustmentKind {
    pub const ALL: [AdjustmentKind; 4] = [
        AdjustmentKind::DayOff,
        AdjustmentKind::WorkingDay,
        AdjustmentKind::TetDayOff,
        AdjustmentKind::Holiday,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentKind::DayOff => "day_off",
            AdjustmentKind::WorkingDay => "working_day",
            AdjustmentKind::TetDayOff => "tet_day_off",
            AdjustmentKind::Holiday => "holiday",
        }
    }

    pub fn parse(s: &str) -> Option<AdjustmentKind> {
        AdjustmentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for AdjustmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One announced change to the working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// Vietnam local date.
    pub date: Date,
    pub kind: AdjustmentKind,
    pub reason_vi: String,
    pub reason_en: String,
    /// The decision or notice it comes from, e.g. "2450/VPCP-KGVX ngày 12/04/2024".
    pub source: String,
}

/// Which holiday a day off belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYear,
    LunarNewYear,
    HungKings,
    ReunificationDay,
    LabourDay,
    NationalDay,
    /// A holiday from an announcement (`holiday` adjustment); its name is
    /// the announcement's.
    Announced,
}

impl Holiday {
    pub fn name_vi(self) -> &'static str {
        match self {
            Holiday::NewYear => "Tết Dương lịch",
            Holiday::LunarNewYear => "Tết Nguyên đán",
            Holiday::HungKings => "Giỗ Tổ Hùng Vương",
            Holiday::ReunificationDay => "Ngày Chiến thắng",
            Holiday::LabourDay => "Ngày Quốc tế Lao động",
            Holiday::NationalDay => "Ngày Quốc khánh",
            Holiday::Announced => "Ngày nghỉ lễ",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Holiday::NewYear => "New Year's Day",
            Holiday::LunarNewYear => "Lunar New Year",
            Holiday::HungKings => "Hùng Kings' Commemoration",
            Holiday::ReunificationDay => "Reunification Day",
            Holiday::LabourDay => "International Labour Day",
            Holiday::NationalDay => "National Day",
            Holiday::Announced => "Public holiday",
        }
    }
}

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday–Friday.
    WorkingDay,
    /// Saturday or Sunday.
    Weekend,
    /// A public holiday (by rule or announcement), on any day of the week.
    Holiday,
    /// A compensatory day off for a holiday that fell on a weekend.
    Observed,
    /// A weekday announced as a day off (swap).
    AnnouncedDayOff,
    /// A day announced as a working day (swap).
    AnnouncedWorkingDay,
}

/// A date as the calendar sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayInfo {
    pub kind: DayKind,
    pub working: bool,
    pub holiday: Option<Holiday>,
    pub name_vi: String,
    pub name_en: String,
    /// The announcement's source, for announced days.
    pub source: Option<String>,
}

impl DayInfo {
    fn working_day() -> DayInfo {
        DayInfo {
            kind: DayKind::WorkingDay,
            working: true,
            holiday: None,
            name_vi: "Ngày làm việc".into(),
            name_en: "Working day".into(),
            source: None,
        }
    }

    fn weekend() -> DayInfo {
        DayInfo {
            kind: DayKind::Weekend,
            working: false,
            holiday: None,
            name_vi: "Nghỉ hằng tuần".into(),
            name_en: "Weekend".into(),
            source: None,
        }
    }

    fn holiday(holiday: Holiday, name_vi: &str, name_en: &str, source: Option<&str>) -> DayInfo {
        DayInfo {
            kind: DayKind::Holiday,
            working: false,
            holiday: Some(holiday),
            name_vi: name_vi.into(),
            name_en: name_en.into(),
            source: source.map(String::from),
        }
    }

    fn observed(holiday: Holiday, name_vi: &str, name_en: &str) -> DayInfo {
        DayInfo {
            kind: DayKind::Observed,
            working: false,
            holiday: Some(holiday),
            name_vi: format!("Nghỉ bù ({name_vi})"),
            name_en: format!("Compensatory day off ({name_en})"),
            source: None,
        }
    }

    fn from_adjustment(a: &Adjustment) -> DayInfo {
        let (kind, working, holiday) = match a.kind {
            AdjustmentKind::DayOff => (DayKind::AnnouncedDayOff, false, None),
            AdjustmentKind::WorkingDay => (DayKind::AnnouncedWorkingDay, true, None),
            AdjustmentKind::TetDayOff => (DayKind::Holiday, false, Some(Holiday::LunarNewYear)),
            AdjustmentKind::Holiday => (DayKind::Holiday, false, Some(Holiday::Announced)),
        };
        DayInfo {
            kind,
            working,
            holiday,
            name_vi: a.reason_vi.clone(),
            name_en: a.reason_en.clone(),
            source: Some(a.source.clone()),
        }
    }
}

/// The working-day calendar: the Labour Code rules plus the announced
/// adjustments. Cheap to query; build it once and share it.
#[derive(Debug, Clone)]
pub struct Calendar {
    adjustments: BTreeMap<Date, Adjustment>,
    /// Holidays and compensatory days by rule for 1900–2100 (and any other
    /// year an adjustment mentions); other years are computed on demand.
    rule_days: BTreeMap<Date, DayInfo>,
    planned_years: BTreeSet<i32>,
}

impl Calendar {
    /// The rules plus `adjustments`. If two adjustments share a date the
    /// later one wins ([`parse_adjustments`] rejects that case).
    pub fn new(adjustments: Vec<Adjustment>) -> Calendar {
        let adjustments: BTreeMap<Date, Adjustment> =
            adjustments.into_iter().map(|a| (a.date, a)).collect();
        let mut planned_years: BTreeSet<i32> =
            (FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR).collect();
        planned_years.extend(adjustments.keys().map(|d| d.year()));
        let mut rule_days = BTreeMap::new();
        for &year in &planned_years {
            for (date, info) in plan_year(year, &adjustments) {
                rule_days.entry(date).or_insert(info);
            }
        }
        Calendar {
            adjustments,
            rule_days,
            planned_years,
        }
    }

    /// The rules plus the announcements bundled with Motcua
    /// (`data/calendar-vn.toml`: 2024, 2025, 2026).
    pub fn bundled() -> Result<Calendar, CalendarError> {
        Ok(Calendar::new(parse_adjustments(BUNDLED)?))
    }

    /// The bundled announcements file, verbatim (for export and seeding).
    pub fn bundled_text() -> &'static str {
        BUNDLED
    }

    /// The adjustments, in date order.
    pub fn adjustments(&self) -> Vec<Adjustment> {
        self.adjustments.values().cloned().collect()
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        if let Some(a) = self.adjustments.get(&d) {
            return a.kind == AdjustmentKind::WorkingDay;
        }
        if self.rule_day(d).is_some() {
            return false;
        }
        !is_weekend(d)
    }

    pub fn day_info(&self, d: Date) -> DayInfo {
        if let Some(a) = self.adjustments.get(&d) {
            return DayInfo::from_adjustment(a);
        }
        if let Some(info) = self.rule_day(d) {
            return info;
        }
        if is_weekend(d) {
            DayInfo::weekend()
        } else {
            DayInfo::working_day()
        }
    }

    /// Every weekday off and every worked Saturday or Sunday of `year`, in
    /// date order (what `motcua calendar show YEAR` prints).
    pub fn year_days_off(&self, year: i32) -> Vec<(Date, DayInfo)> {
        let mut out = Vec::new();
        let Ok(mut d) = Date::from_calendar_date(year, Month::January, 1) else {
            return out;
        };
        while d.year() == year {
            let info = self.day_info(d);
            if info.working == is_weekend(d) {
                out.push((d, info));
            }
            match d.next_day() {
                Some(next) => d = next,
                None => break,
            }
        }
        out
    }

    /// The first working day strictly after `d` (`Date::MAX` if none is
    /// representable).
    pub fn next_working_day(&self, d: Date) -> Date {
        let mut d = d;
        loop {
            match d.next_day() {
                Some(next) => d = next,
                None => return Date::MAX,
            }
            if self.is_working_day(d) {
                return d;
            }
        }
    }

    /// The `n`-th working day after `d` (`d` itself not counted); `d` for
    /// `n == 0`.
    pub fn add_working_days(&self, d: Date, n: u32) -> Date {
        let mut d = d;
        for _ in 0..n {
            d = self.next_working_day(d);
            if d == Date::MAX {
                break;
            }
        }
        d
    }

    fn rule_day(&self, d: Date) -> Option<DayInfo> {
        if self.planned_years.contains(&d.year()) {
            return self.rule_days.get(&d).cloned();
        }
        // Outside the precomputed years: this year's plan, or a compensatory
        // day spilling over from last year's.
        [d.year(), d.year().saturating_sub(1)]
            .into_iter()
            .flat_map(|y| plan_year(y, &self.adjustments))
            .find(|(date, _)| *date == d)
            .map(|(_, info)| info)
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Tết and Hùng Kings' day of `year`, from a table for the supported years.
fn lunar_holidays(year: i32) -> (Date, Date) {
    static TABLE: OnceLock<Vec<(Date, Date)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR)
            .map(|y| (lunar::lunar_new_year(y), lunar::hung_kings_day(y)))
            .collect()
    });
    usize::try_from(year - FIRST_SUPPORTED_YEAR)
        .ok()
        .and_then(|i| table.get(i).copied())
        .unwrap_or_else(|| (lunar::lunar_new_year(year), lunar::hung_kings_day(year)))
}

/// The day next to 2/9 that National Day takes by default (see the module
/// documentation).
fn national_day_adjacent(national_day: Date) -> Option<Date> {
    match national_day.weekday() {
        Weekday::Monday | Weekday::Thursday | Weekday::Sunday => national_day.next_day(),
        _ => national_day.previous_day(),
    }
}

/// The holidays and compensatory days of `year` by rule (and by `holiday`
/// adjustments), weekends included.
fn plan_year(year: i32, adjustments: &BTreeMap<Date, Adjustment>) -> Vec<(Date, DayInfo)> {
    let mut out = Vec::new();
    let (Ok(jan1), Ok(dec31)) = (
        Date::from_calendar_date(year, Month::January, 1),
        Date::from_calendar_date(year, Month::December, 31),
    ) else {
        return out;
    };
    let this_year: Vec<&Adjustment> = adjustments.range(jan1..=dec31).map(|(_, a)| a).collect();
    let tet_announced = this_year
        .iter()
        .any(|a| a.kind == AdjustmentKind::TetDayOff);

    // (date, holiday, name_vi, name_en, compensated)
    let mut holidays: Vec<(Date, Holiday, String, String)> = Vec::new();
    let mut statutory = |d: Option<Date>, h: Holiday| {
        if let Some(d) = d {
            holidays.push((d, h, h.name_vi().into(), h.name_en().into()));
        }
    };
    let (tet, hung) = lunar_holidays(year);
    let tet_days: Vec<Date> = (-1..=3)
        .filter_map(|i| tet.checked_add(Duration::days(i)))
        .collect();
    statutory(Some(jan1), Holiday::NewYear);
    if !tet_announced {
        for &d in &tet_days {
            statutory(Some(d), Holiday::LunarNewYear);
        }
    }
    statutory(Some(hung), Holiday::HungKings);
    let national_day = Date::from_calendar_date(year, Month::September, 2).ok();
    statutory(
        Date::from_calendar_date(year, Month::April, 30).ok(),
        Holiday::ReunificationDay,
    );
    statutory(
        Date::from_calendar_date(year, Month::May, 1).ok(),
        Holiday::LabourDay,
    );
    statutory(national_day, Holiday::NationalDay);
    statutory(
        national_day.and_then(national_day_adjacent),
        Holiday::NationalDay,
    );
    for a in this_year
        .iter()
        .filter(|a| a.kind == AdjustmentKind::Holiday)
    {
        holidays.push((
            a.date,
            Holiday::Announced,
            a.reason_vi.clone(),
            a.reason_en.clone(),
        ));
    }
    holidays.sort_by_key(|h| h.0);

    // Days off that a compensatory day cannot land on: every holiday, by
    // rule or by announcement.
    let mut taken: BTreeSet<Date> = holidays.iter().map(|h| h.0).collect();
    taken.extend(
        this_year
            .iter()
            .filter(|a| a.kind == AdjustmentKind::TetDayOff)
            .map(|a| a.date),
    );
    for (date, holiday, name_vi, name_en) in &holidays {
        out.push((*date, DayInfo::holiday(*holiday, name_vi, name_en, None)));
        if !is_weekend(*date) {
            continue;
        }
        let mut c = *date;
        let observed = loop {
            match c.next_day() {
                Some(next) => c = next,
                None => break None,
            }
            if !is_weekend(c) && !taken.contains(&c) {
                break Some(c);
            }
        };
        if let Some(c) = observed {
            taken.insert(c);
            out.push((c, DayInfo::observed(*holiday, name_vi, name_en)));
        }
    }
    if tet_announced {
        // The announced days replace the default ones; the lunar Tết days
        // that fall on a weekend still carry the holiday's name.
        for &d in tet_days.iter().filter(|d| is_weekend(**d)) {
            let h = Holiday::LunarNewYear;
            out.push((d, DayInfo::holiday(h, h.name_vi(), h.name_en(), None)));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The adjustments file (TOML).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    adjustments: Vec<toml::Spanned<RawAdjustment>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdjustment {
    date: toml::value::Datetime,
    kind: String,
    reason_vi: String,
    reason_en: String,
    source: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses the adjustments file (the format [`format_adjustments`] writes;
/// see `data/calendar-vn.toml`). Errors name the 1-based line.
pub fn parse_adjustments(text: &str) -> Result<Vec<Adjustment>, CalendarError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| CalendarError::Parse {
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        message: e.message().trim().to_string(),
    })?;
    if let Some(v) = &raw.version {
        if *v.get_ref() != 1 {
            return Err(CalendarError::Parse {
                line: line_of(text, v.span().start),
                message: format!(
                    "unsupported version {} (this Motcua reads version 1)",
                    v.get_ref()
                ),
            });
        }
    }
    let mut out: Vec<Adjustment> = Vec::with_capacity(raw.adjustments.len());
    let mut lines: BTreeMap<Date, usize> = BTreeMap::new();
    for entry in raw.adjustments {
        let line = line_of(text, entry.span().start);
        let err = |message: String| CalendarError::Parse { line, message };
        let r = entry.into_inner();
        let date = match (r.date.date, r.date.time, r.date.offset) {
            (Some(d), None, None) => Month::try_from(d.month)
                .ok()
                .and_then(|m| Date::from_calendar_date(i32::from(d.year), m, d.day).ok())
                .ok_or_else(|| err(format!("invalid date {}", r.date)))?,
            _ => {
                return Err(err(format!(
                    "date must be a plain date like 2026-02-16, not {}",
                    r.date
                )))
            }
        };
        let kind = AdjustmentKind::parse(r.kind.trim()).ok_or_else(|| {
            let names: Vec<&str> = AdjustmentKind::ALL.iter().map(|k| k.as_str()).collect();
            err(format!(
                "unknown kind {:?}; expected one of {}",
                r.kind,
                names.join(", ")
            ))
        })?;
        for (field, value) in [
            ("reason_vi", &r.reason_vi),
            ("reason_en", &r.reason_en),
            ("source", &r.source),
        ] {
            if value.trim().is_empty() {
                return Err(err(format!("{field} of {date} is empty")));
            }
        }
        if kind == AdjustmentKind::DayOff && is_weekend(date) {
            return Err(err(format!(
                "day_off on {date}, a {}: weekends are days off already",
                date.weekday()
            )));
        }
        if let Some(first) = lines.insert(date, line) {
            return Err(err(format!(
                "{date} is listed twice (first on line {first})"
            )));
        }
        out.push(Adjustment {
            date,
            kind,
            reason_vi: r.reason_vi.trim().to_string(),
            reason_en: r.reason_en.trim().to_string(),
            source: r.source.trim().to_string(),
        });
    }
    out.sort_by_key(|a| a.date);
    Ok(out)
}

const FILE_HEADER: &str = "\
# Motcua — working-day calendar of state agencies (R-OP-3): the Government's
# yearly announcements. The Labour Code 2019 holidays (Art. 112: 1/1, Tết,
# Hùng Kings' day 10/3 lunar, 30/4, 1/5, 2/9 and one adjacent day) and the
# compensatory days for holidays on a weekend (Art. 111(3)) are computed;
# list here only what an announcement decides, one day per line:
#   day_off      a weekday off (the day-off half of a swap, or an extra day)
#   working_day  a Saturday or Sunday worked (the other half of a swap); on a
#                weekday it cancels a computed day off
#   tet_day_off  the year's announced Tết days off: every weekday of the break,
#                compensatory days included; if a year has any, they replace
#                that year's default Tết (last day of the lunar year + days 1-4)
#   holiday      a public holiday set by a later law (compensated on a weekend)
# Do not list computed compensatory days as day_off.
";

/// Writes adjustments in the bundled file's format, in date order, one per
/// line, grouped by year. [`parse_adjustments`] reads it back unchanged.
pub fn format_adjustments(adjustments: &[Adjustment]) -> String {
    let mut sorted: Vec<&Adjustment> = adjustments.iter().collect();
    sorted.sort_by_key(|a| a.date);
    let mut out = String::from(FILE_HEADER);
    out.push_str("version = 1\n\nadjustments = [\n");
    let mut year = None;
    for a in sorted {
        if year != Some(a.date.year()) {
            year = Some(a.date.year());
            out.push_str(&format!("  # {}\n", a.date.year()));
        }
        out.push_str(&format!(
            "  {{ date = {:04}-{:02}-{:02}, kind = {}, reason_vi = {}, reason_en = {}, source = {} }},\n",
            a.date.year(),
            u8::from(a.date.month()),
            a.date.day(),
            toml_string(a.kind.as_str()),
            toml_string(&a.reason_vi),
            toml_string(&a.reason_en),
            toml_string(&a.source),
        ));
    }
    out.push_str("]\n");
    out
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn bundled() -> Calendar {
        Calendar::bundled().unwrap()
    }

    fn weekdays_off(cal: &Calendar, year: i32) -> Vec<Date> {
        cal.year_days_off(year)
            .into_iter()
            .filter(|(d, i)| !i.working && !is_weekend(*d))
            .map(|(d, _)| d)
            .collect()
    }

    fn worked_weekends(cal: &Calendar, year: i32) -> Vec<Date> {
        cal.year_days_off(year)
            .into_iter()
            .filter(|(d, i)| i.working && is_weekend(*d))
            .map(|(d, _)| d)
            .collect()
    }

    /// R-OP-3: every official weekday off of 2024 (8662/VPCP-KGVX of
    /// 3/11/2023: Tết 8–14/2, National Day 31/8–3/9; 2450/VPCP-KGVX of
    /// 12/4/2024: 27/4–1/5 with Saturday 4/5 worked).
    #[test]
    fn r_op_3_official_days_off_2024() {
        let cal = bundled();
        assert_eq!(
            weekdays_off(&cal, 2024),
            vec![
                date!(2024 - 01 - 01),
                date!(2024 - 02 - 08),
                date!(2024 - 02 - 09),
                date!(2024 - 02 - 12),
                date!(2024 - 02 - 13),
                date!(2024 - 02 - 14),
                date!(2024 - 04 - 18),
                date!(2024 - 04 - 29),
                date!(2024 - 04 - 30),
                date!(2024 - 05 - 01),
                date!(2024 - 09 - 02),
                date!(2024 - 09 - 03),
            ]
        );
        assert_eq!(worked_weekends(&cal, 2024), vec![date!(2024 - 05 - 04)]);
        // Mùng 1 and 2 Tết fell on the weekend.
        let sat = cal.day_info(date!(2024 - 02 - 10));
        assert_eq!(
            (sat.kind, sat.holiday),
            (DayKind::Holiday, Some(Holiday::LunarNewYear))
        );
    }

    /// R-OP-3: 2025 (8726/VPCP-KGVX of 26/11/2024: Tết 25/1–2/2 with 27–31/1
    /// the five Tết days; 30/4–4/5 with Friday 2/5 swapped for Saturday
    /// 26/4; National Day 30/8–2/9).
    #[test]
    fn r_op_3_official_days_off_2025() {
        let cal = bundled();
        assert_eq!(
            weekdays_off(&cal, 2025),
            vec![
                date!(2025 - 01 - 01),
                date!(2025 - 01 - 27),
                date!(2025 - 01 - 28),
                date!(2025 - 01 - 29),
                date!(2025 - 01 - 30),
                date!(2025 - 01 - 31),
                date!(2025 - 04 - 07),
                date!(2025 - 04 - 30),
                date!(2025 - 05 - 01),
                date!(2025 - 05 - 02),
                date!(2025 - 09 - 01),
                date!(2025 - 09 - 02),
            ]
        );
        assert_eq!(worked_weekends(&cal, 2025), vec![date!(2025 - 04 - 26)]);
        // The announced Tết replaced the default one (which would have given
        // Monday 3/2 as the compensatory day for mùng 4 on Saturday 1/2).
        assert!(cal.is_working_day(date!(2025 - 02 - 03)));
        let default = Calendar::new(vec![]);
        assert!(!default.is_working_day(date!(2025 - 02 - 03)));
        assert!(default.is_working_day(date!(2025 - 01 - 27)));
        assert_eq!(
            default.day_info(date!(2025 - 02 - 03)).kind,
            DayKind::Observed
        );
    }

    /// R-OP-3: 2026 (12729/VPCP-KGVX of 25/12/2025: 1–4/1 with Friday 2/1
    /// swapped for Saturday 10/1; Prime Minister's decision of 10/2025:
    /// Tết 14–22/2, National Day 29/8–2/9 with Monday 31/8 swapped for
    /// Saturday 22/8; Hùng Kings' day on Sunday 26/4 compensated on Monday
    /// 27/4; 24/11 Vietnam Culture Day as announced data).
    #[test]
    fn r_op_3_official_days_off_2026() {
        let cal = bundled();
        assert_eq!(
            weekdays_off(&cal, 2026),
            vec![
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 02),
                date!(2026 - 02 - 16),
                date!(2026 - 02 - 17),
                date!(2026 - 02 - 18),
                date!(2026 - 02 - 19),
                date!(2026 - 02 - 20),
                date!(2026 - 04 - 27),
                date!(2026 - 04 - 30),
                date!(2026 - 05 - 01),
                date!(2026 - 08 - 31),
                date!(2026 - 09 - 01),
                date!(2026 - 09 - 02),
                date!(2026 - 11 - 24),
            ]
        );
        assert_eq!(
            worked_weekends(&cal, 2026),
            vec![date!(2026 - 01 - 10), date!(2026 - 08 - 22)]
        );
        let hung = cal.day_info(date!(2026 - 04 - 26));
        assert_eq!(
            (hung.kind, hung.holiday),
            (DayKind::Holiday, Some(Holiday::HungKings))
        );
        let observed = cal.day_info(date!(2026 - 04 - 27));
        assert_eq!(observed.kind, DayKind::Observed);
        assert_eq!(observed.name_vi, "Nghỉ bù (Giỗ Tổ Hùng Vương)");
        assert_eq!(
            observed.name_en,
            "Compensatory day off (Hùng Kings' Commemoration)"
        );
    }

    #[test]
    fn r_op_3_culture_day_2026_is_a_day_off() {
        let cal = bundled();
        let d = date!(2026 - 11 - 24);
        assert!(!cal.is_working_day(d));
        let info = cal.day_info(d);
        assert_eq!(info.kind, DayKind::Holiday);
        assert_eq!(info.holiday, Some(Holiday::Announced));
        assert_eq!(info.name_vi, "Ngày Văn hóa Việt Nam");
        assert!(info.source.is_some());
        // Without the announcement it is an ordinary Tuesday.
        assert!(Calendar::new(vec![]).is_working_day(d));
    }

    #[test]
    fn r_op_3_announced_holiday_on_weekend_is_compensated() {
        // 24/11/2029 is a Saturday.
        let cal = Calendar::new(vec![Adjustment {
            date: date!(2029 - 11 - 24),
            kind: AdjustmentKind::Holiday,
            reason_vi: "Ngày Văn hóa Việt Nam".into(),
            reason_en: "Vietnam Culture Day".into(),
            source: "test".into(),
        }]);
        assert_eq!(cal.day_info(date!(2029 - 11 - 26)).kind, DayKind::Observed);
        assert!(!cal.is_working_day(date!(2029 - 11 - 26)));
    }

    /// R-OP-3, Art. 111(3): holidays on a weekend, with the real outcomes.
    #[test]
    fn r_op_3_compensatory_days() {
        let cal = Calendar::new(vec![]);
        // 2022: 30/4 Saturday and 1/5 Sunday → Monday 2/5 and Tuesday 3/5.
        assert_eq!(
            weekdays_off(&cal, 2022)
                .into_iter()
                .filter(|d| d.month() == Month::May)
                .collect::<Vec<_>>(),
            vec![date!(2022 - 05 - 02), date!(2022 - 05 - 03)]
        );
        // 2023: Hùng Kings Saturday 29/4, 30/4 Sunday, 1/5 Monday → off
        // 29/4–3/5 (compensatory Tuesday 2/5 and Wednesday 3/5).
        for d in [
            date!(2023 - 05 - 01),
            date!(2023 - 05 - 02),
            date!(2023 - 05 - 03),
        ] {
            assert!(!cal.is_working_day(d), "{d}");
        }
        assert!(cal.is_working_day(date!(2023 - 05 - 04)));
        // 2023: 2/9 Saturday → 1/9 Friday with it, Monday 4/9 compensatory.
        assert!(!cal.is_working_day(date!(2023 - 09 - 01)));
        assert_eq!(cal.day_info(date!(2023 - 09 - 04)).kind, DayKind::Observed);
        assert!(cal.is_working_day(date!(2023 - 09 - 05)));
        // 2027: 1/5 Saturday → Monday 3/5.
        assert_eq!(cal.day_info(date!(2027 - 05 - 03)).kind, DayKind::Observed);
        // 2028: 30/4 Sunday → Tuesday 2/5 (Monday 1/5 is Labour Day).
        assert!(!cal.is_working_day(date!(2028 - 05 - 01)));
        assert_eq!(cal.day_info(date!(2028 - 05 - 02)).kind, DayKind::Observed);
        assert!(cal.is_working_day(date!(2028 - 05 - 03)));
        // 2029: 2/9 Sunday → 3/9 Monday with it, Tuesday 4/9 compensatory.
        assert!(!cal.is_working_day(date!(2029 - 09 - 03)));
        assert_eq!(cal.day_info(date!(2029 - 09 - 04)).kind, DayKind::Observed);
        // 2027 default Tết (6/2 Saturday): 5/2 Fri – 9/2 Tue, weekend days
        // compensated Wednesday 10/2 and Thursday 11/2.
        let tet: Vec<Date> = weekdays_off(&cal, 2027)
            .into_iter()
            .filter(|d| d.month() == Month::February)
            .collect();
        assert_eq!(
            tet,
            vec![
                date!(2027 - 02 - 05),
                date!(2027 - 02 - 08),
                date!(2027 - 02 - 09),
                date!(2027 - 02 - 10),
                date!(2027 - 02 - 11),
            ]
        );
    }

    /// The default day next to 2/9 matches what the Government chose in
    /// 2021–2026.
    #[test]
    fn r_op_3_national_day_adjacent_day() {
        let cal = Calendar::new(vec![]);
        let pairs = [
            (2021, [date!(2021 - 09 - 02), date!(2021 - 09 - 03)]),
            (2022, [date!(2022 - 09 - 01), date!(2022 - 09 - 02)]),
            (2023, [date!(2023 - 09 - 01), date!(2023 - 09 - 04)]),
            (2024, [date!(2024 - 09 - 02), date!(2024 - 09 - 03)]),
            (2025, [date!(2025 - 09 - 01), date!(2025 - 09 - 02)]),
            (2026, [date!(2026 - 09 - 01), date!(2026 - 09 - 02)]),
        ];
        for (year, expected) in pairs {
            let got: Vec<Date> = weekdays_off(&cal, year)
                .into_iter()
                .filter(|d| d.month() == Month::September)
                .collect();
            assert_eq!(got, expected, "{year}");
        }
    }

    #[test]
    fn working_day_adjustment_can_cancel_a_computed_day_off() {
        // Suppose the Government picked 3/9 instead of 1/9 in 2026.
        let adj = |d: Date, kind| Adjustment {
            date: d,
            kind,
            reason_vi: "x".into(),
            reason_en: "x".into(),
            source: "x".into(),
        };
        let cal = Calendar::new(vec![
            adj(date!(2026 - 09 - 01), AdjustmentKind::WorkingDay),
            adj(date!(2026 - 09 - 03), AdjustmentKind::DayOff),
        ]);
        assert!(cal.is_working_day(date!(2026 - 09 - 01)));
        assert!(!cal.is_working_day(date!(2026 - 09 - 03)));
    }

    #[test]
    fn day_info_names() {
        let cal = bundled();
        let tet = cal.day_info(date!(2026 - 02 - 17));
        assert_eq!(tet.holiday, Some(Holiday::LunarNewYear));
        assert!(tet.name_vi.contains("Tết Nguyên đán"));
        assert!(tet.name_en.contains("Lunar New Year"));
        let nd = cal.day_info(date!(2026 - 09 - 02));
        assert_eq!(
            (nd.name_vi.as_str(), nd.name_en.as_str()),
            ("Ngày Quốc khánh", "National Day")
        );
        let swap = cal.day_info(date!(2026 - 08 - 31));
        assert_eq!(swap.kind, DayKind::AnnouncedDayOff);
        assert!(swap.name_vi.starts_with("Hoán đổi ngày làm việc"));
        assert!(swap.name_en.starts_with("Swapped day"));
        let worked = cal.day_info(date!(2026 - 08 - 22));
        assert_eq!(
            (worked.kind, worked.working),
            (DayKind::AnnouncedWorkingDay, true)
        );
        let hung = cal.day_info(date!(2025 - 04 - 07));
        assert_eq!(hung.name_vi, "Giỗ Tổ Hùng Vương");
        assert_eq!(hung.name_en, "Hùng Kings' Commemoration");
        assert_eq!(cal.day_info(date!(2026 - 03 - 07)).kind, DayKind::Weekend);
        assert_eq!(
            cal.day_info(date!(2026 - 03 - 09)).kind,
            DayKind::WorkingDay
        );
    }

    #[test]
    fn years_outside_the_table_are_computed() {
        let cal = Calendar::new(vec![]);
        // 2101: Tết is 29/1 (Saturday), 1/1 Saturday → Monday 3/1.
        assert!(!cal.is_working_day(date!(2101 - 01 - 03)));
        assert_eq!(cal.day_info(date!(2101 - 01 - 03)).kind, DayKind::Observed);
        // 1899: 2/9 Saturday → 1/9 with it, Monday 4/9 compensatory.
        assert_eq!(cal.day_info(date!(1899 - 09 - 02)).kind, DayKind::Holiday);
        assert!(!cal.is_working_day(date!(1899 - 09 - 01)));
        assert_eq!(cal.day_info(date!(1899 - 09 - 04)).kind, DayKind::Observed);
        assert!(cal.is_working_day(date!(1899 - 09 - 05)));
        assert!(!cal.year_days_off(2101).is_empty());
        assert!(cal.year_days_off(10_000).is_empty());
    }

    #[test]
    fn bundled_file_is_in_canonical_form() {
        let parsed = parse_adjustments(BUNDLED).unwrap();
        assert_eq!(format_adjustments(&parsed), BUNDLED);
        assert!(parsed.iter().all(|a| !a.source.is_empty()));
    }

    #[test]
    fn format_then_parse_round_trips() {
        let adjustments = vec![
            Adjustment {
                date: date!(2027 - 01 - 02),
                kind: AdjustmentKind::WorkingDay,
                reason_vi: "Làm bù \"thứ Bảy\"\tx\\y".into(),
                reason_en: "Swapped day\nline".into(),
                source: "Công văn 1/VPCP".into(),
            },
            Adjustment {
                date: date!(2026 - 12 - 31),
                kind: AdjustmentKind::DayOff,
                reason_vi: "Nghỉ".into(),
                reason_en: "Off".into(),
                source: "s".into(),
            },
        ];
        let text = format_adjustments(&adjustments);
        let back = parse_adjustments(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], adjustments[1]);
        assert_eq!(back[1], adjustments[0]);
    }

    fn parse_err(text: &str) -> (usize, String) {
        match parse_adjustments(text) {
            Err(CalendarError::Parse { line, message }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn bad_input_names_the_line() {
        let ok = "{ date = 2026-01-02, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\", source = \"c\" },";
        let file = |bad: &str| format!("version = 1\nadjustments = [\n  {ok}\n  {bad}\n]\n");

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-05, kind = \"nghi\", reason_vi = \"a\", reason_en = \"b\", source = \"c\" },",
        ));
        assert_eq!(line, 4);
        assert!(
            msg.contains("unknown kind") && msg.contains("day_off"),
            "{msg}"
        );

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-03, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\", source = \"c\" },",
        ));
        assert_eq!(line, 4);
        assert!(msg.contains("weekends are days off already"), "{msg}");

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-02, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\", source = \"c\" },",
        ));
        assert_eq!(line, 4);
        assert!(msg.contains("listed twice (first on line 3)"), "{msg}");

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-05, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\", source = \" \" },",
        ));
        assert_eq!(line, 4);
        assert!(msg.contains("source of 2026-01-05 is empty"), "{msg}");

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-05T08:00:00, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\", source = \"c\" },",
        ));
        assert_eq!(line, 4);
        assert!(msg.contains("plain date"), "{msg}");

        let (line, msg) = parse_err(&file(
            "{ date = 2026-01-05, kind = \"day_off\", reason_vi = \"a\", reason_en = \"b\" },",
        ));
        assert_eq!(line, 4);
        assert!(msg.contains("source"), "{msg}");

        let (line, _) = parse_err(&file("{ date = 2026-02-30, kind = \"day_off\" },"));
        assert_eq!(line, 4);

        let (line, msg) = parse_err("version = 2\nadjustments = []\n");
        assert_eq!(line, 1);
        assert!(msg.contains("unsupported version"), "{msg}");

        // A value missing at the end of line 4: the parser names the line
        // where it met the `]` instead of the value.
        let (line, _) = parse_err("version = 1\n\nadjustments = [\n  { date = \n]\n");
        assert_eq!(line, 5);
    }

    #[test]
    fn adjustment_kind_names() {
        for k in AdjustmentKind::ALL {
            assert_eq!(AdjustmentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AdjustmentKind::parse("weekend"), None);
    }
}
