#include "collector/store/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace kerbside::collector::sqlite {

absl::Status Error(sqlite3* db, int rc, absl::string_view what) {
  return absl::InternalError(absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(rc), " (code ", rc,
                                          "): ", db ? sqlite3_errmsg(db) : ""));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path) {
  // Process-wide, and only possible before SQLite initialises itself (at the first open): with
  // memory statistics on (Debian's default), every allocation SQLite makes takes one global
  // mutex to count it. Nothing here reads those statistics. A later call is refused by SQLite
  // (SQLITE_MISUSE) and changes nothing, which is harmless.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  const int created = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (created >= 0) ::close(created);
  sqlite3* db = nullptr;
  // NOMUTEX: the owner serialises every use of the connection (see the class), so SQLite's own
  // lock around every call on it would only be taken and released for nothing.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = Error(db, rc, absl::StrCat("open ", path));
    sqlite3_close(db);
    return s;
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    return absl::PermissionDeniedError(absl::StrCat(
        "store: ", path, " opened read-only: the collector must write evidence and alerts"));
  }
  std::unique_ptr<Connection> conn(new Connection(db, path));
  sqlite3_busy_timeout(db, 5000);
  RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  return conn;
}

Connection::~Connection() {
  // sqlite3_close needs every statement finalized.
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

absl::Status Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    return absl::InternalError(
        absl::StrCat("sqlite: ", path_, ": ", sqlite3_errstr(rc), " (code ", rc, "): ", msg));
  }
  return absl::OkStatus();
}

absl::Status Connection::InTransaction(const std::function<absl::Status()>& body) {
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status s = body();
  if (!s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return Exec("COMMIT");
}

Connection::CachedStatement* Connection::TakeCached(const char* sql) {
  CachedStatement& e = cache_[sql];
  if (e.in_use) return nullptr;
  if (e.stmt == nullptr &&
      sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &e.stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(e.stmt);
    e.stmt = nullptr;
    return nullptr;
  }
  e.in_use = true;
  return &e;
}

Statement::Statement(Connection& conn, const char* literal) : conn_(&conn) {
  cached_ = conn.TakeCached(literal);
  if (cached_ != nullptr) {
    stmt_ = cached_->stmt;
    rc_ = SQLITE_OK;
  } else {
    rc_ = sqlite3_prepare_v2(conn.db(), literal, -1, &stmt_, nullptr);
  }
}

Statement Statement::Dynamic(Connection& conn, const std::string& sql) {
  Statement st(conn);
  st.rc_ = sqlite3_prepare_v2(conn.db(), sql.c_str(), -1, &st.stmt_, nullptr);
  return st;
}

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      cached_(std::exchange(other.cached_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      rc_(other.rc_) {}

Statement::~Statement() {
  if (cached_ == nullptr) {
    sqlite3_finalize(stmt_);  // a no-op on null
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  cached_->in_use = false;
}

absl::Status Statement::status(absl::string_view what) const {
  return rc_ == SQLITE_OK ? absl::OkStatus() : Error(conn_->db(), rc_, what);
}

void Statement::Bind(int i, const std::string& s) {
  sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlob(int i, const std::string& s) {
  sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void Statement::Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

int Statement::Step() { return sqlite3_step(stmt_); }

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::Status Statement::Run(absl::string_view what) {
  const int rc = Step();
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(conn_->db(), rc, what);
}

int64_t Statement::Int(int col) { return sqlite3_column_int64(stmt_, col); }

std::string Statement::Text(int col) {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : "";
}

bool Statement::IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

}  // namespace kerbside::collector::sqlite
