// Identifiers as Safeguard makes them: rows are keyed by UUIDs (PostgreSQL gen_random_uuid / crypto.randomUUID).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its canonical text form (any case); worth asking the database about only then. */
export const isUuid = (text: string): boolean => UUID.test(text);
