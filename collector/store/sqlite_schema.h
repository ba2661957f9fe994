#ifndef KERBSIDE_COLLECTOR_STORE_SQLITE_SCHEMA_H_
#define KERBSIDE_COLLECTOR_STORE_SQLITE_SCHEMA_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/store/sqlite_connection.h"

namespace kerbside::collector::sqlite {

// The schema version this build writes (PRAGMA user_version).
int LatestSchemaVersion();
absl::StatusOr<int> SchemaVersion(Connection& conn);

// A step of a migration that SQL alone cannot do (the rows are protos): run inside the
// transaction that moves the schema to `to_version`, after its SQL.
using MigrationHook = std::function<absl::Status(int to_version)>;

// Migrates `conn` forward to LatestSchemaVersion, one transaction per version, so a failure
// leaves the file at the last version that completed. A file newer than this build is refused.
absl::Status Migrate(Connection& conn, const MigrationHook& hook);

}  // namespace kerbside::collector::sqlite

#endif  // KERBSIDE_COLLECTOR_STORE_SQLITE_SCHEMA_H_
