-- ClickHouse statements for EPCIS 2.0 sensor readings (sensor_readings, migration 0005).

-- name: InsertSensorReadings
INSERT INTO sensor_readings (event_date, event_time, event_id, site_id, epcs, idx, device_id,
    reading_time, type, value, has_value, min_value, max_value, uom, exception, string_value, inserted_at)

-- name: SensorSummary
-- Per measurement type and unit. FINAL collapses re-sent readings (same site, type, event time,
-- event id and report index) before they are counted; min, max and avg are over the readings
-- that have a value. Parameters: site (or ''), type (or ''), from and to (Unix seconds,
-- reading time, to exclusive).
SELECT type, uom, count() AS readings, countIf(has_value = 1) AS with_value,
    minIf(value, has_value = 1), maxIf(value, has_value = 1), avgIf(value, has_value = 1),
    countIf(exception != '') AS exceptions, uniqExact(event_id) AS events,
    min(reading_time), max(reading_time)
FROM sensor_readings FINAL
WHERE (? = '' OR site_id = ?) AND (? = '' OR type = ?)
  AND reading_time >= toDateTime(?) AND reading_time < toDateTime(?)
GROUP BY type, uom
ORDER BY type, uom;

-- name: SensorSummaryByEPC
-- As SensorSummary, per identifier of the readings' events (at most 10,000 rows).
SELECT type, uom, epc, count() AS readings, countIf(has_value = 1) AS with_value,
    minIf(value, has_value = 1), maxIf(value, has_value = 1), avgIf(value, has_value = 1),
    countIf(exception != '') AS exceptions, uniqExact(event_id) AS events,
    min(reading_time), max(reading_time)
FROM sensor_readings FINAL
ARRAY JOIN epcs AS epc
WHERE (? = '' OR site_id = ?) AND (? = '' OR type = ?)
  AND reading_time >= toDateTime(?) AND reading_time < toDateTime(?)
GROUP BY type, uom, epc
ORDER BY type, uom, epc
LIMIT 10000;
