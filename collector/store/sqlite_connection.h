#ifndef KERBSIDE_COLLECTOR_STORE_SQLITE_CONNECTION_H_
#define KERBSIDE_COLLECTOR_STORE_SQLITE_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

// The SQLite engine's plumbing: one connection, its statement cache and a statement wrapper
// that turns SQLite's codes into absl::Status (the native code and message kept).
namespace kerbside::collector::sqlite {

// `what` failed with SQLite code `rc`: "sqlite: what: <errstr> (code rc): <errmsg>".
absl::Status Error(sqlite3* db, int rc, absl::string_view what);

// One read-write connection (WAL, synchronous NORMAL, a 5 s busy timeout) and the statements
// prepared on it. Not thread-safe: its owner serialises every use.
class Connection {
 public:
  // Opens or creates `path`; a new file is created readable by its owner only (it holds the
  // fleet's evidence and what the alert sinks are sent; SQLite gives -wal and -shm the same
  // mode). A file that opens read-only is refused.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements without results; the error names the file.
  absl::Status Exec(const std::string& sql);
  // Runs `body` in one write transaction (BEGIN IMMEDIATE): committed when it returns OK, rolled
  // back otherwise, its error returned.
  absl::Status InTransaction(const std::function<absl::Status()>& body);

 private:
  friend class Statement;
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // The cached statement for the literal `sql`, prepared now if needed; null when it is in use
  // (the same SQL twice at once) or cannot be prepared: the caller then prepares its own.
  CachedStatement* TakeCached(const char* sql);

  sqlite3* db_;
  std::string path_;
  // Statements prepared once and reused: re-preparing every statement of every batch cost a
  // fifth of ingest (issue 17). Keyed by the address of a string literal, so only literals are
  // cached (Statement::Dynamic is not). Node-based: a Statement holds its entry while others
  // are added.
  absl::node_hash_map<const char*, CachedStatement> cache_;
};

// A prepared statement: the connection's cached one for a literal (reset and unbound when
// done), else its own (finalized when done).
class Statement {
 public:
  // `literal` must be a string literal (or otherwise live as long as the connection, with
  // fixed contents): its address keys the cache.
  Statement(Connection& conn, const char* literal);
  // SQL built at run time: prepared for this use only, never cached (a temporary's address
  // may be reused by different SQL).
  static Statement Dynamic(Connection& conn, const std::string& sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  absl::Status status(absl::string_view what) const;
  void Bind(int i, const std::string& s);
  void BindBlob(int i, const std::string& s);
  void Bind(int i, int64_t v);
  int Step();
  // For the next row of a statement prepared once and run many times.
  void Reset();
  // Steps once and expects the statement to finish.
  absl::Status Run(absl::string_view what);
  int64_t Int(int col);
  std::string Text(int col);
  bool IsNull(int col);

 private:
  explicit Statement(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
  Connection::CachedStatement* cached_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = 0;
};

}  // namespace kerbside::collector::sqlite

#endif  // KERBSIDE_COLLECTOR_STORE_SQLITE_CONNECTION_H_
