//! `motcua calendar …` (R-OP-3): a year's days off, deadlines, edits with
//! clear errors, export and all-or-nothing import.
use crate::support::Sandbox;

#[test]
fn calendar_commands_show_compute_edit_import_and_export() {
    let sb = Sandbox::sqlite();
    let show = sb.ok(&["calendar", "show", "2025"]);
    for line in [
        "27/01/2025  Monday",
        "07/04/2025  Monday",
        "02/05/2025  Friday",
        "26/04/2025  Saturday   worked",
        "01/09/2025  Monday",
    ] {
        assert!(show.stdout.contains(line), "{line}: {show}");
    }
    sb.fails(&["calendar", "show", "1850"], 1, "1900–2100");

    let d = sb.ok(&[
        "calendar",
        "deadline",
        "--from",
        "2026-02-13T16:30",
        "--working-days",
        "1",
    ]);
    assert!(d.stdout.contains("Monday 23/02/2026 17:00"), "{d}");
    let d = sb.ok(&[
        "calendar",
        "deadline",
        "--from",
        "2026-11-19T16:00",
        "--working-days",
        "1",
        "--cutoff",
        "15:00",
    ]);
    assert!(d.stdout.contains("Monday 23/11/2026 17:00"), "{d}");
    sb.fails(
        &[
            "calendar",
            "deadline",
            "--from",
            "tomorrow",
            "--working-days",
            "1",
        ],
        1,
        "--from",
    );

    let set = [
        "calendar",
        "set",
        "--date",
        "2026-12-31",
        "--kind",
        "day_off",
        "--reason-vi",
        "Nghỉ thử",
        "--reason-en",
        "Test day off",
        "--source",
        "Thử nghiệm",
    ];
    sb.ok(&set);
    let d = sb.ok(&[
        "calendar",
        "deadline",
        "--from",
        "2026-12-30T09:00",
        "--working-days",
        "1",
    ]);
    assert!(d.stdout.contains("Monday 04/01/2027 17:00"), "{d}");
    sb.fails(
        &[
            "calendar",
            "set",
            "--date",
            "2026-12-27",
            "--kind",
            "day_off",
            "--reason-vi",
            "x",
            "--reason-en",
            "x",
            "--source",
            "x",
        ],
        1,
        "Saturdays and Sundays",
    );

    let exported = sb.path().join("calendar.toml");
    sb.ok(&["calendar", "export", exported.to_str().unwrap()]);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("date = 2026-12-31"), "{text}");
    // A broken file changes nothing and names the line.
    let broken = sb.path().join("broken.toml");
    std::fs::write(
        &broken,
        text.replacen("date = 2026-12-31", "date = 2026-12-32", 1),
    )
    .unwrap();
    let out = sb.fails(
        &["calendar", "import", broken.to_str().unwrap()],
        1,
        "nothing was changed",
    );
    assert!(out.stderr.contains("line "), "{out}");
    sb.ok(&["calendar", "remove", "2026-12-31"]);
    sb.fails(&["calendar", "remove", "2026-12-31"], 1, "not_found");
    // Importing the export brings the removed day back.
    let imp = sb.ok(&["calendar", "import", exported.to_str().unwrap()]);
    assert!(imp.stdout.contains("1 set"), "{imp}");
    let again = sb.ok(&["calendar", "export"]);
    assert_eq!(again.stdout, text);
    // Every edit is in the audit chain.
    sb.ok(&["admin", "verify-audit"]);
}
