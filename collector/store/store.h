#ifndef KERBSIDE_COLLECTOR_STORE_STORE_H_
#define KERBSIDE_COLLECTOR_STORE_STORE_H_

#include "collector/store/diagnosis_store.h"
#include "collector/store/evidence_store.h"
#include "collector/store/outbox_store.h"

namespace kerbside::collector {

// The whole store, as the collector's main and on-call wiring hold it; each part of the
// collector takes only the narrow interface it uses. Engine-neutral: SQLite today
// (sqlite_store.h); a second engine (PostgreSQL, for several collectors) implements the same.
class Store : public EvidenceStore, public DiagnosisStore, public OutboxStore {};

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_STORE_STORE_H_
