-- The leaders' board (issue #9 §6) from a summary, not from the cases:
-- one row per agency, Vietnam day of submission, procedure, bucket and
-- (for open cases) the UTC hour of the legal deadline, counting the cases
-- in it. Kept in the transaction that writes the case (handling's
-- store::board), so it is never behind. Buckets: open, paused, early,
-- on_time, late (done), stopped (refused, stopped, withdrawn). An open
-- case's hour slot lets the board tell late from on time at any "now":
-- slots before the current hour are late, after it on time, and only the
-- current hour is counted from the cases. due_slot is -1 for an open case
-- without a deadline (never late) and 0 for the other buckets.
CREATE TABLE handling_board (
    agency_code TEXT NOT NULL,
    day BIGINT NOT NULL,
    procedure_code TEXT NOT NULL,
    bucket TEXT NOT NULL,
    due_slot BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_code, day, procedure_code, bucket, due_slot)
);

-- The cases present when the summary arrives. 25200000 ms is UTC+7,
-- 86400000 a day, 3600000 an hour.
INSERT INTO handling_board (agency_code, day, procedure_code, bucket, due_slot, n)
SELECT agency_code,
       (submitted_at + 25200000) / 86400000,
       procedure_code,
       CASE WHEN done_at IS NOT NULL THEN
                CASE WHEN apologies > 0 OR done_at > deadline_at THEN 'late'
                     WHEN done_at + 86400000 <= deadline_at THEN 'early'
                     ELSE 'on_time' END
            WHEN state = 'paused' THEN 'paused'
            WHEN state = 'open' THEN 'open'
            ELSE 'stopped' END,
       CASE WHEN done_at IS NULL AND state = 'open' THEN COALESCE(deadline_at / 3600000, -1)
            ELSE 0 END,
       COUNT(*)
FROM handling_cases
GROUP BY 1, 2, 3, 4, 5;
