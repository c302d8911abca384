package store

// MigrationLockKey is the advisory lock Migrate takes on PostgreSQL, for
// tests that hold it from outside.
const MigrationLockKey = migrationLockKey
