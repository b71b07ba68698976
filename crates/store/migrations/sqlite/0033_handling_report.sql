-- The progress report's summary (issue #11 §3; handling's
-- store::report): per agency, procedure and Vietnam month
-- (year * 12 + month - 1), the net number of each flow (received_1/2/3 by
-- channel, done_early/on_time/late, stopped, not_accepted, returned,
-- transferred_in/out) and the net stock changes (open with the Vietnam
-- day of the deadline, -1 without one; supplement; payment). Kept in the
-- transaction that writes the case, so it is never behind.
ALTER TABLE handling_cases ADD COLUMN channel BIGINT NOT NULL DEFAULT 2;
UPDATE handling_cases SET channel = COALESCE(
    (SELECT d.channel FROM dossiers d WHERE d.id = handling_cases.dossier_id), 2);

CREATE TABLE handling_report (
    agency_code TEXT NOT NULL,
    month BIGINT NOT NULL,
    procedure_code TEXT NOT NULL,
    measure TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_code, month, procedure_code, measure, due_day)
);
CREATE INDEX handling_report_by_month ON handling_report (month);

-- The stock at a month's start, kept once asked for (a checkpoint);
-- open cases whose deadline day is before that start have due_day -2.
CREATE TABLE handling_report_stock (
    agency_code TEXT NOT NULL,
    month BIGINT NOT NULL,
    procedure_code TEXT NOT NULL,
    bucket TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_code, month, procedure_code, bucket, due_day)
);
CREATE TABLE handling_report_marks (
    month BIGINT PRIMARY KEY,
    made_at BIGINT NOT NULL
);

-- The cases present when the summary arrives, with the history their
-- rows tell (as store::report::history): received, then done, paused or
-- closed. 25200000 ms is UTC+7, 86400000 a day.
INSERT INTO handling_report (agency_code, month, procedure_code, measure, due_day, n)
SELECT agency_code, month, procedure_code, measure, due_day, SUM(n) FROM (
    SELECT agency_code, (CAST(strftime('%Y', ((received_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((received_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1) AS month, procedure_code, 'received_' || CAST(channel AS TEXT) AS measure, 0 AS due_day, 1 AS n FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((received_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((received_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'open', COALESCE(((deadline_at) + 25200000) / 86400000, -1), 1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((done_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((done_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'open', COALESCE(((deadline_at) + 25200000) / 86400000, -1), -1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NOT NULL
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((done_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((done_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, CASE WHEN apologies > 0 OR done_at > deadline_at THEN 'done_late' WHEN done_at + 86400000 <= deadline_at THEN 'done_early' ELSE 'done_on_time' END, 0, 1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NOT NULL
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'returned', 0, 1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NOT NULL AND status = 10
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((COALESCE(paused_at, received_at)) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((COALESCE(paused_at, received_at)) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'open', COALESCE(((deadline_at) + 25200000) / 86400000, -1), -1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NULL AND state = 'paused'
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((COALESCE(paused_at, received_at)) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((COALESCE(paused_at, received_at)) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, CASE WHEN status = 6 THEN 'payment' ELSE 'supplement' END, 0, 1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NULL AND state = 'paused'
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'open', COALESCE(((deadline_at) + 25200000) / 86400000, -1), -1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NULL AND state = 'closed'
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'stopped', 0, 1 FROM handling_cases WHERE received_at IS NOT NULL AND status <> 3 AND done_at IS NULL AND state = 'closed'
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((updated_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'not_accepted', 0, 1 FROM handling_cases WHERE status = 3
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'evaluated', 0, 1 FROM handling_evaluations
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'evaluation_score', 0, total FROM handling_evaluations
    UNION ALL SELECT agency_code, (CAST(strftime('%Y', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ((created_at) + 25200000) / 1000, 'unixepoch') AS INTEGER) - 1), procedure_code, 'evaluation_satisfied', 0, 1 FROM handling_evaluations WHERE satisfaction IN (1, 2)
) x
GROUP BY agency_code, month, procedure_code, measure, due_day
HAVING SUM(n) <> 0;
