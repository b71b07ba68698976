-- Ministries, work units, function catalogs and civil-servant provisioning requests (filled in by the provisioning work).
SELECT 1;
