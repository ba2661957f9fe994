#include "agent/probes/krb5_util.h"

#include <profile.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kerbside::agent::probes {
namespace {

constexpr char kKrbCodePayload[] = "kerbside.dev/krb5-error-code";

// A read-only, iterable in-memory profile (profile_init_vtable). A profile made from files
// would not do: krb5_init_context_profile copies the profile by re-reading its files, which
// drops values added with profile_add_relation.
struct MemoryProfile {
  ProfileRelations relations;
};

bool HasPrefix(const std::vector<std::string>& path, const char* const* names, size_t* depth) {
  size_t i = 0;
  for (; names[i] != nullptr; ++i) {
    if (i >= path.size() || path[i] != names[i]) return false;
  }
  *depth = i;
  return true;
}

char* Dup(const std::string& s) { return ::strdup(s.c_str()); }

long GetValues(void* cbdata, const char* const* names, char*** ret_values) {
  auto* p = static_cast<MemoryProfile*>(cbdata);
  std::vector<const std::string*> values;
  for (const auto& [path, value] : p->relations) {
    size_t depth = 0;
    if (HasPrefix(path, names, &depth) && depth == path.size()) values.push_back(&value);
  }
  // Always PROF_NO_RELATION, as file profiles do: libkrb5's plugin loader treats
  // PROF_NO_SECTION for "[plugins] clpreauth" as fatal and then runs without any preauth
  // module (the AS exchange loops on PREAUTH_REQUIRED).
  if (values.empty()) return PROF_NO_RELATION;
  char** out = static_cast<char**>(::calloc(values.size() + 1, sizeof(char*)));
  for (size_t i = 0; i < values.size(); ++i) out[i] = Dup(*values[i]);
  *ret_values = out;
  return 0;
}

void FreeValues(void*, char** values) {
  for (char** v = values; v != nullptr && *v != nullptr; ++v) ::free(*v);
  ::free(values);
}

void Cleanup(void* cbdata) { delete static_cast<MemoryProfile*>(cbdata); }

long Copy(void* cbdata, void** ret) {
  *ret = new MemoryProfile(*static_cast<MemoryProfile*>(cbdata));
  return 0;
}

struct Iter {
  std::vector<std::pair<std::string, std::optional<std::string>>> items;  // name, value
  size_t next = 0;
};

long IteratorCreate(void* cbdata, const char* const* names, int flags, void** ret) {
  auto* p = static_cast<MemoryProfile*>(cbdata);
  auto it = std::make_unique<Iter>();
  for (const auto& [path, value] : p->relations) {
    size_t depth = 0;
    if (!HasPrefix(path, names, &depth)) continue;
    if (flags & PROFILE_ITER_LIST_SECTION) {
      if (depth >= path.size()) continue;
      const std::string& child = path[depth];
      if (depth + 1 == path.size()) {
        if (!(flags & PROFILE_ITER_SECTIONS_ONLY)) it->items.emplace_back(child, value);
      } else if (!(flags & PROFILE_ITER_RELATIONS_ONLY)) {
        bool seen = false;
        for (const auto& item : it->items) seen |= (!item.second && item.first == child);
        if (!seen) it->items.emplace_back(child, std::nullopt);
      }
    } else if (depth == path.size() && depth > 0) {
      it->items.emplace_back(path.back(), value);
    }
  }
  *ret = it.release();
  return 0;
}

long IteratorNext(void*, void* iter, char** ret_name, char** ret_value) {
  auto* it = static_cast<Iter*>(iter);
  if (it->next >= it->items.size()) {
    if (ret_name) *ret_name = nullptr;
    if (ret_value) *ret_value = nullptr;
    return 0;
  }
  const auto& item = it->items[it->next++];
  if (ret_name) *ret_name = Dup(item.first);
  if (ret_value) *ret_value = item.second ? Dup(*item.second) : nullptr;
  return 0;
}

void IteratorFree(void*, void* iter) { delete static_cast<Iter*>(iter); }
void FreeString(void*, char* s) { ::free(s); }

}  // namespace

ProfileRelations BaseRelations(const std::string& realm, const std::vector<std::string>& kdcs) {
  ProfileRelations r = {
      {{"libdefaults", "default_realm"}, realm},
      {{"libdefaults", "kdc_timesync"}, "0"},
      {{"libdefaults", "dns_lookup_kdc"}, "false"},
      {{"libdefaults", "dns_lookup_realm"}, "false"},
      {{"libdefaults", "dns_canonicalize_hostname"}, "false"},
      {{"libdefaults", "rdns"}, "false"},
      {{"libdefaults", "dns_uri_lookup"}, "false"},
      // A single pass over the KDCs: the probes bound their own time.
      {{"libdefaults", "max_retries"}, "1"},
  };
  for (const std::string& kdc : kdcs) r.push_back({{"realms", realm, "kdc"}, kdc});
  return r;
}

absl::StatusOr<KrbContext> KrbContext::Create(const ProfileRelations& relations) {
  profile_vtable vt{};
  vt.minor_ver = 1;
  vt.get_values = GetValues;
  vt.free_values = FreeValues;
  vt.cleanup = Cleanup;
  vt.copy = Copy;
  vt.iterator_create = IteratorCreate;
  vt.iterator = IteratorNext;
  vt.iterator_free = IteratorFree;
  vt.free_string = FreeString;
  auto* data = new MemoryProfile{relations};
  profile_t profile = nullptr;
  if (long rc = profile_init_vtable(&vt, data, &profile); rc != 0) {
    delete data;
    return absl::InternalError(absl::StrCat("profile_init_vtable: error ", rc));
  }
  krb5_context ctx = nullptr;
  // The context copies the profile (Copy above); ours is released right after.
  const krb5_error_code rc = krb5_init_context_profile(profile, 0, &ctx);
  profile_release(profile);
  if (rc != 0) return KrbStatus(nullptr, rc, "krb5_init_context_profile");
  return KrbContext(ctx);
}

KrbContext& KrbContext::operator=(KrbContext&& o) noexcept {
  if (this != &o) {
    if (ctx_ != nullptr) krb5_free_context(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}

KrbContext::~KrbContext() {
  if (ctx_ != nullptr) krb5_free_context(ctx_);
}

absl::Status KrbStatus(krb5_context ctx, krb5_error_code code, absl::string_view what) {
  const char* msg = krb5_get_error_message(ctx, code);
  const std::string text = absl::StrCat(what, ": ", msg, " (krb5 error ", code, ")");
  krb5_free_error_message(ctx, msg);
  absl::Status s = (code == KRB5_KDC_UNREACH || code == KRB5_REALM_CANT_RESOLVE)
                       ? absl::UnavailableError(text)
                       : absl::FailedPreconditionError(text);
  s.SetPayload(kKrbCodePayload, absl::Cord(std::to_string(code)));
  return s;
}

std::optional<int32_t> KrbCodeOf(const absl::Status& status) {
  auto p = status.GetPayload(kKrbCodePayload);
  int32_t code = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &code)) return std::nullopt;
  return code;
}

int ProtocolErrorNumber(krb5_error_code code) {
  const long n = static_cast<long>(code) - ERROR_TABLE_BASE_krb5;
  return (n >= 0 && n < 128) ? static_cast<int>(n) : -1;
}

std::string EnctypeName(int32_t enctype) {
  char buf[128];
  if (krb5_enctype_to_name(enctype, FALSE, buf, sizeof buf) == 0) return buf;
  return absl::StrCat("enctype ", enctype);
}

}  // namespace kerbside::agent::probes
