//! The report's columns, and its downloads: CSV (UTF-8 with a byte-order
//! mark, so spreadsheet programs read Vietnamese), XLSX and JSON — the
//! same figures as the page's table, in the same order.
use crate::progress::{Figures, Progress};
use motcua_kernel::service::{Result, ServiceError};

/// Each column: its code (CSV/JSON header, API field) and message key.
pub const COLUMNS: &[(&str, &str)] = &[
    ("received_total", "stats.col_received_total"),
    ("carried_over", "stats.col_carried_over"),
    ("received_new", "stats.col_received_new"),
    ("received_online", "stats.col_received_online"),
    ("received_in_person", "stats.col_received_in_person"),
    ("received_postal", "stats.col_received_postal"),
    ("transferred_in", "stats.col_transferred_in"),
    ("done", "stats.col_done"),
    ("done_early", "stats.col_done_early"),
    ("done_on_time", "stats.col_done_on_time"),
    ("done_late", "stats.col_done_late"),
    ("held", "stats.col_held"),
    ("open_on_time", "stats.col_open_on_time"),
    ("open_late", "stats.col_open_late"),
    ("supplement", "stats.col_supplement"),
    ("payment", "stats.col_payment"),
    ("stopped", "stats.col_stopped"),
    ("transferred_out", "stats.col_transferred_out"),
    ("returned", "stats.col_returned"),
    ("not_accepted", "stats.col_not_accepted"),
];

/// A column's figure.
pub fn value(f: &Figures, column: &str) -> i64 {
    let l = &f.line;
    match column {
        "received_total" => f.received_total,
        "carried_over" => l.carried_over,
        "received_new" => f.received_new,
        "received_online" => l.received_online,
        "received_in_person" => l.received_in_person,
        "received_postal" => l.received_postal,
        "transferred_in" => l.transferred_in,
        "done" => f.done,
        "done_early" => l.done_early,
        "done_on_time" => l.done_on_time,
        "done_late" => l.done_late,
        "held" => f.held,
        "open_on_time" => l.open_on_time,
        "open_late" => l.open_late,
        "supplement" => l.supplement,
        "payment" => l.payment,
        "stopped" => l.stopped,
        "transferred_out" => l.transferred_out,
        "returned" => l.returned,
        "not_accepted" => l.not_accepted,
        _ => 0,
    }
}

/// Rows of the table: (code, name, figures), the total last.
fn table<'a>(p: &'a Progress, total_name: &'a str) -> Vec<(&'a str, &'a str, &'a Figures)> {
    let mut t: Vec<_> = p
        .rows
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str(), &r.figures))
        .collect();
    t.push(("", total_name, &p.total));
    t
}

/// CSV: a header of column codes under a header of their names in
/// `t`'s language, then a row per agency or procedure and the total.
pub fn csv(p: &Progress, t: &dyn Fn(&str) -> String) -> Result<Vec<u8>> {
    let bad = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut head = vec![t("stats.col_code"), t("stats.col_name")];
    head.extend(COLUMNS.iter().map(|(_, k)| t(k)));
    w.write_record(&head).map_err(bad)?;
    let mut codes = vec!["code".to_string(), "name".to_string()];
    codes.extend(COLUMNS.iter().map(|(c, _)| c.to_string()));
    w.write_record(&codes).map_err(bad)?;
    let total = t("stats.total");
    for (code, name, f) in table(p, &total) {
        let mut rec = vec![code.to_string(), name.to_string()];
        rec.extend(COLUMNS.iter().map(|(c, _)| value(f, c).to_string()));
        w.write_record(&rec).map_err(bad)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}

/// XLSX: one sheet, the names' header, a row per line and the total.
pub fn xlsx(p: &Progress, title: &str, t: &dyn Fn(&str) -> String) -> Result<Vec<u8>> {
    let bad = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, title, &bold)
        .map_err(bad)?;
    let mut head = vec![t("stats.col_code"), t("stats.col_name")];
    head.extend(COLUMNS.iter().map(|(_, k)| t(k)));
    for (i, h) in head.iter().enumerate() {
        sheet
            .write_string_with_format(2, i as u16, h, &bold)
            .map_err(bad)?;
    }
    let total = t("stats.total");
    for (r, (code, name, f)) in table(p, &total).into_iter().enumerate() {
        let row = 3 + r as u32;
        sheet.write_string(row, 0, code).map_err(bad)?;
        sheet.write_string(row, 1, name).map_err(bad)?;
        for (i, (c, _)) in COLUMNS.iter().enumerate() {
            sheet
                .write_number(row, 2 + i as u16, value(f, c) as f64)
                .map_err(bad)?;
        }
    }
    sheet.set_column_width(1, 40).map_err(bad)?;
    book.save_to_buffer().map_err(bad)
}

/// JSON: the period, the scope and each row with every column by code.
pub fn json(p: &Progress) -> serde_json::Value {
    let row = |code: &str, name: &str, f: &Figures| {
        let mut o = serde_json::Map::new();
        o.insert("code".into(), code.into());
        o.insert("name".into(), name.into());
        for (c, _) in COLUMNS {
            o.insert((*c).into(), value(f, c).into());
        }
        o.insert(
            "on_time_permille".into(),
            f.on_time_permille
                .map_or(serde_json::Value::Null, Into::into),
        );
        serde_json::Value::Object(o)
    };
    serde_json::json!({
        "period": p.period,
        "from": p.from,
        "to": p.to,
        "as_of": p.as_of,
        "scope": p.scope.as_ref().map(|a| serde_json::json!({"code": a.code, "name": a.name})),
        "by": p.by,
        "columns": COLUMNS.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        "rows": p.rows.iter().map(|r| row(&r.code, &r.name, &r.figures)).collect::<Vec<_>>(),
        "total": row("", "", &p.total),
    })
}
