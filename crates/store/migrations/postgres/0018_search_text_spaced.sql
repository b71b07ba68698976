-- Issue #7: the account search's folded text gets a space before and
-- after, so that every word, the first and the last too, stands between
-- spaces. A short word ("an", "le") is then matched as a whole word by
-- the pattern '% an %', which the trigram index serves (3 characters or
-- more), instead of filtering a window of candidates.
UPDATE accounts SET search_text = ' ' || search_text || ' ';
