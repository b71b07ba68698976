-- The dossiers behind a figure of the progress report (issue #11 §2):
-- an agency's cases by when they were received and when their result
-- was approved, in keyset order. Owned by the handling context.
CREATE INDEX handling_cases_received ON handling_cases (agency_code, received_at, dossier_id);
CREATE INDEX handling_cases_done ON handling_cases (agency_code, done_at, dossier_id);
