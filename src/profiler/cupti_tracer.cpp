#include "profiler/cupti_tracer.h"

#include <cxxabi.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_set>

#include "core/clock.h"
#include "core/error.h"

#if YS_HAVE_CUPTI
#include <cupti.h>
#endif

namespace ys {

std::string demangle(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : name;
}

void attribute_cupti_records(CuptiRawTrace raw, const std::unordered_map<uint64_t, int>& node_steps,
                             const std::vector<CuptiFrameWindow>& frames, ClockPair first,
                             ClockPair last, GpuTrace& out) {
  const double cupti_span =
      static_cast<double>(last.cupti_ns) - static_cast<double>(first.cupti_ns);
  const double scale =
      cupti_span > 0 ? static_cast<double>(last.host_ns - first.host_ns) / cupti_span : 1.0;
  // Mapped relative to the first reading: absolute CUPTI times near 2^60 would lose nanoseconds
  // in a double product.
  auto host = [&](int64_t cupti_ns) {
    const double since = static_cast<double>(cupti_ns) - static_cast<double>(first.cupti_ns);
    return first.host_ns + static_cast<int64_t>(since * scale);
  };
  out.clock_scale = scale;
  out.clock_offset_ns =
      static_cast<double>(first.host_ns) - static_cast<double>(first.cupti_ns) * scale;

  std::vector<CuptiFrameWindow> windows = frames;
  std::sort(
      windows.begin(), windows.end(),
      [](const CuptiFrameWindow& a, const CuptiFrameWindow& b) { return a.begin_ns < b.begin_ns; });
  auto frame_of = [&](int64_t t) -> int64_t {
    auto it = std::upper_bound(windows.begin(), windows.end(), t,
                               [](int64_t v, const CuptiFrameWindow& w) { return v < w.begin_ns; });
    if (it == windows.begin()) return -1;
    --it;
    return t <= it->end_ns ? it->frame : -1;
  };
  auto step_of_correlation = [&](uint64_t correlation) {
    auto it = raw.external_steps.find(correlation);
    return it == raw.external_steps.end() ? -1 : it->second;
  };
  auto step_of_node = [&](uint64_t node) {
    auto it = node_steps.find(node);
    return it == node_steps.end() ? -1 : it->second;
  };

  std::unordered_map<uint64_t, size_t> api_of;  // correlation id -> index in raw.api
  for (size_t i = 0; i < raw.api.size(); ++i) {
    GpuApiRecord& a = raw.api[i];
    a.start_ns = host(a.start_ns);
    a.end_ns = host(a.end_ns);
    a.frame = frame_of(a.start_ns);
    a.step = step_of_correlation(a.correlation);
    a.launches_kernel = false;
    api_of[a.correlation] = i;
  }
  // A record's frame is its launching call's; without that record (DRIVER or RUNTIME records
  // dropped), the record's own start decides.
  auto frame_for = [&](uint64_t correlation, int64_t start_ns) {
    auto it = api_of.find(correlation);
    return it != api_of.end() ? raw.api[it->second].frame : frame_of(start_ns);
  };

  for (size_t i = 0; i < raw.kernels.size(); ++i) {
    GpuKernelRecord& k = raw.kernels[i];
    const uint64_t node = i < raw.kernel_nodes.size() ? raw.kernel_nodes[i] : 0;
    k.name = demangle(k.name);
    k.start_ns = host(k.start_ns);
    k.end_ns = host(k.end_ns);
    k.from_graph = node != 0;
    k.step = k.from_graph ? step_of_node(node) : step_of_correlation(k.correlation);
    k.frame = frame_for(k.correlation, k.start_ns);
    auto api = api_of.find(k.correlation);
    if (!k.from_graph && api != api_of.end()) raw.api[api->second].launches_kernel = true;
  }
  for (size_t i = 0; i < raw.copies.size(); ++i) {
    GpuCopyRecord& c = raw.copies[i];
    const uint64_t node = i < raw.copy_nodes.size() ? raw.copy_nodes[i] : 0;
    c.start_ns = host(c.start_ns);
    c.end_ns = host(c.end_ns);
    c.from_graph = node != 0;
    c.step = c.from_graph ? step_of_node(node) : step_of_correlation(c.correlation);
    c.frame = frame_for(c.correlation, c.start_ns);
  }
  for (GpuSyncRecord& s : raw.syncs) {
    s.start_ns = host(s.start_ns);
    s.end_ns = host(s.end_ns);
    s.frame = frame_of(s.start_ns);
  }

  auto by_start = [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; };
  std::stable_sort(raw.kernels.begin(), raw.kernels.end(), by_start);
  std::stable_sort(raw.copies.begin(), raw.copies.end(), by_start);
  std::stable_sort(raw.syncs.begin(), raw.syncs.end(), by_start);
  std::stable_sort(raw.api.begin(), raw.api.end(), by_start);
  out.kernels = std::move(raw.kernels);
  out.copies = std::move(raw.copies);
  out.syncs = std::move(raw.syncs);
  out.api = std::move(raw.api);
  out.dropped_records = raw.dropped;
}

#if YS_HAVE_CUPTI

namespace {

constexpr size_t kBufferBytes = 8u << 20;
constexpr size_t kBufferAlign = 8;  // CUPTI's record alignment

constexpr CUpti_ActivityKind kKinds[] = {
    CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
    CUPTI_ACTIVITY_KIND_MEMCPY,
    CUPTI_ACTIVITY_KIND_MEMSET,
    CUPTI_ACTIVITY_KIND_SYNCHRONIZATION,
    // Libraries such as cuDNN launch through the driver API: without DRIVER records their
    // launches would have no API record for the external correlation to attach to.
    CUPTI_ACTIVITY_KIND_RUNTIME,
    CUPTI_ACTIVITY_KIND_DRIVER,
    CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION,
};

std::string cupti_error(CUptiResult r, const char* what) {
  const char* s = nullptr;
  if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || !s) s = "unknown error";
  return cat(what, ": ", s);
}

GpuCopyKind copy_kind(uint8_t k) {
  switch (k) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD:
      return GpuCopyKind::kHostToDevice;
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH:
      return GpuCopyKind::kDeviceToHost;
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD:
      return GpuCopyKind::kDeviceToDevice;
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH:
      return GpuCopyKind::kHostToHost;
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP:
      return GpuCopyKind::kPeer;
    default:
      return GpuCopyKind::kOther;
  }
}

GpuMemoryKind memory_kind(unsigned k) {
  switch (k) {
    case CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE:
      return GpuMemoryKind::kPageable;
    case CUPTI_ACTIVITY_MEMORY_KIND_PINNED:
      return GpuMemoryKind::kPinned;
    case CUPTI_ACTIVITY_MEMORY_KIND_DEVICE:
    case CUPTI_ACTIVITY_MEMORY_KIND_DEVICE_STATIC:
      return GpuMemoryKind::kDevice;
    case CUPTI_ACTIVITY_MEMORY_KIND_MANAGED:
    case CUPTI_ACTIVITY_MEMORY_KIND_MANAGED_STATIC:
      return GpuMemoryKind::kManaged;
    default:
      return GpuMemoryKind::kUnknown;
  }
}

const char* sync_name(CUpti_ActivitySynchronizationType t) {
  switch (t) {
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE:
      return "event";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT:
      return "stream_wait_event";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE:
      return "stream";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE:
      return "context";
    default:
      return "unknown";
  }
}

// "cudaLaunchKernel" from CUPTI's "cudaLaunchKernel_v7000": the version suffix names the ABI.
std::string api_name(const char* cupti_name) {
  std::string n = cupti_name;
  const size_t v = n.rfind("_v");
  if (v != std::string::npos && v + 2 < n.size() &&
      n.find_first_not_of("0123456789", v + 2) == std::string::npos) {
    n.resize(v);
  }
  return n;
}

// The fields a memcpy and a memset record share; the caller fills in the kind and memory.
template <typename Record>
GpuCopyRecord& add_copy(CuptiRawTrace& raw, const Record& r) {
  GpuCopyRecord& c = raw.copies.emplace_back();
  c.bytes = static_cast<int64_t>(r.bytes);
  c.device = static_cast<int>(r.deviceId);
  c.stream = r.streamId;
  c.start_ns = static_cast<int64_t>(r.start);
  c.end_ns = static_cast<int64_t>(r.end);
  c.correlation = r.correlationId;
  raw.copy_nodes.push_back(r.graphNodeId);
  return c;
}

ClockPair read_clocks() {
  ClockPair p;
  const int64_t before = now_ns();
  if (cuptiGetTimestamp(&p.cupti_ns) != CUPTI_SUCCESS) p.cupti_ns = 0;
  p.host_ns = before + (now_ns() - before) / 2;
  return p;
}

}  // namespace

struct CuptiTracer::Impl {
  int device = 0;
  bool available = false;
  std::string why;
  CUpti_SubscriberHandle subscriber = nullptr;
  std::atomic<bool> active{false};   // activity kinds enabled (inside a traced frame)
  std::atomic<uint64_t> enables{0};  // times they were enabled: a flush knows if it was quiet
  bool pushed = false;               // an external correlation id is pushed for the current step
  bool finished = false;
  ClockPair first_clock;
  std::vector<CuptiFrameWindow> frames;

  // The step being enqueued, read by resource callbacks; atomic rather than locked because it is
  // set around every step, traced frame or not.
  std::atomic<int> current_step{-1};
  std::mutex nodes_mu;  // node_steps is written on whichever thread captures or instantiates
  std::unordered_map<uint64_t, int> node_steps;

  // Written by CUPTI's buffer callbacks (its own thread, or the flushing one).
  std::mutex raw_mu;
  CuptiRawTrace raw;
  std::shared_ptr<GpuRecordRing> ring;  // a long run's: records go there instead

  void consume(uint8_t* buffer, size_t valid);
  void consume_into_ring(uint8_t* buffer, size_t valid);
  int node_step(uint64_t node);
  void on_graph_node(CUpti_CallbackId cbid, const CUpti_GraphData& g);
  void set_kinds(bool on);
};

namespace {

// CUPTI's buffer callbacks carry no user pointer: they reach the one live tracer through this.
std::mutex g_mu;
CuptiTracer::Impl* g_tracer = nullptr;

struct FreeBuffer {
  void operator()(uint8_t* p) const { std::free(p); }
};

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kBufferAlign, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t* buffer, size_t /*size*/,
                               size_t valid) {
  std::unique_ptr<uint8_t, FreeBuffer> owned(buffer);
  size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) != CUPTI_SUCCESS) dropped = 0;
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_tracer) return;
  if (g_tracer->ring) {
    g_tracer->consume_into_ring(buffer, valid);
    g_tracer->ring->add_dropped(static_cast<int64_t>(dropped));
    return;
  }
  g_tracer->consume(buffer, valid);
  std::lock_guard<std::mutex> raw_lock(g_tracer->raw_mu);
  g_tracer->raw.dropped += static_cast<int64_t>(dropped);
}

void CUPTIAPI on_callback(void* userdata, CUpti_CallbackDomain domain, CUpti_CallbackId cbid,
                          const void* data) {
  if (domain != CUPTI_CB_DOMAIN_RESOURCE || !data) return;
  const auto* resource = static_cast<const CUpti_ResourceData*>(data);
  const auto* graph = static_cast<const CUpti_GraphData*>(resource->resourceDescriptor);
  if (graph) static_cast<CuptiTracer::Impl*>(userdata)->on_graph_node(cbid, *graph);
}

}  // namespace

void CuptiTracer::Impl::on_graph_node(CUpti_CallbackId cbid, const CUpti_GraphData& g) {
  uint64_t id = 0;
  if (!g.node || cuptiGetGraphNodeId(g.node, &id) != CUPTI_SUCCESS) return;
  std::lock_guard<std::mutex> lock(nodes_mu);
  if (cbid == CUPTI_CBID_RESOURCE_GRAPHNODE_CREATED) {
    const int step = current_step.load(std::memory_order_relaxed);
    if (step >= 0) node_steps[id] = step;
  } else if (cbid == CUPTI_CBID_RESOURCE_GRAPHNODE_CLONED) {
    // Instantiation clones every captured node; replayed kernels report the clone's id.
    uint64_t original = 0;
    if (!g.originalNode || cuptiGetGraphNodeId(g.originalNode, &original) != CUPTI_SUCCESS) return;
    auto it = node_steps.find(original);
    if (it != node_steps.end()) node_steps[id] = it->second;
  }
}

void CuptiTracer::Impl::consume(uint8_t* buffer, size_t valid) {
  std::lock_guard<std::mutex> lock(raw_mu);
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      case CUPTI_ACTIVITY_KIND_KERNEL: {
        const auto* r = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        GpuKernelRecord k;
        k.name = r->name ? r->name : "";
        k.device = static_cast<int>(r->deviceId);
        k.stream = r->streamId;
        k.start_ns = static_cast<int64_t>(r->start);
        k.end_ns = static_cast<int64_t>(r->end);
        k.grid[0] = r->gridX;
        k.grid[1] = r->gridY;
        k.grid[2] = r->gridZ;
        k.block[0] = r->blockX;
        k.block[1] = r->blockY;
        k.block[2] = r->blockZ;
        k.registers = r->registersPerThread;
        k.shared_bytes = int64_t{r->staticSharedMemory} + r->dynamicSharedMemory;
        k.correlation = r->correlationId;
        raw.kernels.push_back(std::move(k));
        raw.kernel_nodes.push_back(r->graphNodeId);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto* r = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
        GpuCopyRecord& c = add_copy(raw, *r);
        c.kind = copy_kind(r->copyKind);
        c.src = memory_kind(r->srcKind);
        c.dst = memory_kind(r->dstKind);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto* r = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
        GpuCopyRecord& c = add_copy(raw, *r);
        c.kind = GpuCopyKind::kMemset;
        c.dst = memory_kind(r->memoryKind);
        break;
      }
      case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: {
        const auto* r = reinterpret_cast<const CUpti_ActivitySynchronization2*>(record);
        GpuSyncRecord s;
        s.what = sync_name(r->type);
        s.device = device;
        s.stream = r->streamId;
        s.start_ns = static_cast<int64_t>(r->start);
        s.end_ns = static_cast<int64_t>(r->end);
        raw.syncs.push_back(std::move(s));
        break;
      }
      case CUPTI_ACTIVITY_KIND_RUNTIME:
      case CUPTI_ACTIVITY_KIND_DRIVER: {
        const auto* r = reinterpret_cast<const CUpti_ActivityAPI*>(record);
        const char* name = nullptr;
        const CUpti_CallbackDomain domain = record->kind == CUPTI_ACTIVITY_KIND_RUNTIME
                                                ? CUPTI_CB_DOMAIN_RUNTIME_API
                                                : CUPTI_CB_DOMAIN_DRIVER_API;
        if (cuptiGetCallbackName(domain, r->cbid, &name) != CUPTI_SUCCESS || !name) name = "?";
        GpuApiRecord a;
        a.name = api_name(name);
        a.start_ns = static_cast<int64_t>(r->start);
        a.end_ns = static_cast<int64_t>(r->end);
        a.thread = r->threadId;
        a.correlation = r->correlationId;
        raw.api.push_back(std::move(a));
        break;
      }
      case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        const auto* r = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(record);
        if (r->externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0 && r->externalId > 0) {
          raw.external_steps[r->correlationId] = static_cast<int>(r->externalId - 1);
        }
        break;
      }
      default:
        break;
    }
  }
}

int CuptiTracer::Impl::node_step(uint64_t node) {
  if (node == 0) return -1;
  std::lock_guard<std::mutex> lock(nodes_mu);
  auto it = node_steps.find(node);
  return it == node_steps.end() ? -1 : it->second;
}

// The long run's path: compact records straight into the ring, steps resolved now for graph
// nodes (eager launches' steps travel as correlations, resolved when a flight record is pulled).
// Records still in progress (a forced flush) have no end and are left out.
void CuptiTracer::Impl::consume_into_ring(uint8_t* buffer, size_t valid) {
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      case CUPTI_ACTIVITY_KIND_KERNEL: {
        const auto* r = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        if (r->start == 0 || r->end < r->start) break;
        ring->add_kernel(r->name, static_cast<int64_t>(r->start), static_cast<int64_t>(r->end),
                         node_step(r->graphNodeId), r->correlationId);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY:
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        GpuCopyRecord c;
        uint64_t node = 0;
        uint32_t correlation = 0;
        if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
          const auto* r = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
          c.kind = copy_kind(r->copyKind);
          c.src = memory_kind(r->srcKind);
          c.dst = memory_kind(r->dstKind);
          c.bytes = static_cast<int64_t>(r->bytes);
          c.start_ns = static_cast<int64_t>(r->start);
          c.end_ns = static_cast<int64_t>(r->end);
          node = r->graphNodeId;
          correlation = r->correlationId;
        } else {
          const auto* r = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
          c.kind = GpuCopyKind::kMemset;
          c.dst = memory_kind(r->memoryKind);
          c.bytes = static_cast<int64_t>(r->bytes);
          c.start_ns = static_cast<int64_t>(r->start);
          c.end_ns = static_cast<int64_t>(r->end);
          node = r->graphNodeId;
          correlation = r->correlationId;
        }
        if (c.start_ns == 0 || c.end_ns < c.start_ns) break;
        c.step = node_step(node);
        ring->add_copy(c, correlation);
        break;
      }
      case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: {
        const auto* r = reinterpret_cast<const CUpti_ActivitySynchronization2*>(record);
        if (r->start == 0 || r->end < r->start) break;
        ring->add_wait(sync_name(r->type), static_cast<int64_t>(r->start),
                       static_cast<int64_t>(r->end));
        break;
      }
      case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        const auto* r = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(record);
        if (r->externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0 && r->externalId > 0)
          ring->add_correlation(r->correlationId, static_cast<int>(r->externalId - 1));
        break;
      }
      default:
        break;
    }
  }
}

void CuptiTracer::Impl::set_kinds(bool on) {
  for (CUpti_ActivityKind k : kKinds) {
    const CUptiResult r = on ? cuptiActivityEnable(k) : cuptiActivityDisable(k);
    if (r != CUPTI_SUCCESS && available) {
      available = false;
      why = cupti_error(r, on ? "cuptiActivityEnable" : "cuptiActivityDisable");
    }
  }
  active = on && available;
  if (active) ++enables;
}

CuptiTracer::CuptiTracer(int device) : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  t.device = device;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_tracer) {
      t.why = "another CUPTI tracer is active in this process";
      return;
    }
    g_tracer = &t;
  }
  CUptiResult r = cuptiSubscribe(&t.subscriber, on_callback, &t);
  if (r != CUPTI_SUCCESS) {
    t.subscriber = nullptr;
    t.why = cupti_error(r, "cuptiSubscribe");
    return;
  }
  for (CUpti_CallbackId id :
       {CUPTI_CBID_RESOURCE_GRAPHNODE_CREATED, CUPTI_CBID_RESOURCE_GRAPHNODE_CLONED}) {
    r = cuptiEnableCallback(1, t.subscriber, CUPTI_CB_DOMAIN_RESOURCE, id);
    if (r != CUPTI_SUCCESS) {
      t.why = cupti_error(r, "cuptiEnableCallback (graph nodes)");
      return;
    }
  }
  r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
  if (r != CUPTI_SUCCESS) {
    t.why = cupti_error(r, "cuptiActivityRegisterCallbacks");
    return;
  }
  t.available = true;
  // A trial enable finds an unsupported kind now rather than in the first traced frame.
  t.set_kinds(true);
  t.set_kinds(false);
  t.first_clock = read_clocks();
}

CuptiTracer::~CuptiTracer() {
  Impl& t = *impl_;
  if (t.ring) t.ring->set_source(nullptr);
  if (t.active) t.set_kinds(false);
  if (t.available) (void)cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  if (t.subscriber) (void)cuptiUnsubscribe(t.subscriber);
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_tracer == &t) g_tracer = nullptr;
}

bool CuptiTracer::available() const {
  return impl_->available;
}
const std::string& CuptiTracer::why() const {
  return impl_->why;
}

void CuptiTracer::begin_frame(int64_t index) {
  Impl& t = *impl_;
  if (!t.available || t.finished) return;
  if (t.active) end_frame();
  const int64_t now = now_ns();
  t.frames.push_back({index, now, now});
  t.set_kinds(true);
}

void CuptiTracer::end_frame() {
  Impl& t = *impl_;
  if (!t.active) return;
  t.set_kinds(false);
  t.frames.back().end_ns = now_ns();
}

void CuptiTracer::on_enqueue_begin(size_t step) {
  Impl& t = *impl_;
  t.current_step.store(static_cast<int>(step), std::memory_order_relaxed);
  // Outside traced frames nothing is recorded, so the push is skipped too.
  if (t.active) {
    t.pushed = cuptiActivityPushExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0,
                                                      uint64_t{step} + 1) == CUPTI_SUCCESS;
  }
}

void CuptiTracer::on_enqueue_end(size_t /*step*/) {
  Impl& t = *impl_;
  if (t.pushed) {
    (void)cuptiActivityPopExternalCorrelationId(CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0, nullptr);
    t.pushed = false;
  }
  t.current_step.store(-1, std::memory_order_relaxed);
}

void CuptiTracer::finish(GpuTrace& trace) {
  Impl& t = *impl_;
  trace.cupti = t.available;
  trace.cupti_why = t.why;
  if (!t.available || t.finished) return;
  end_frame();
  t.finished = true;
  (void)cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  const ClockPair last = read_clocks();
  CuptiRawTrace raw;
  {
    std::lock_guard<std::mutex> lock(t.raw_mu);
    raw = std::move(t.raw);
    t.raw = {};
  }
  std::unordered_map<uint64_t, int> nodes;
  {
    std::lock_guard<std::mutex> lock(t.nodes_mu);
    nodes = t.node_steps;
  }
  attribute_cupti_records(std::move(raw), nodes, t.frames, t.first_clock, last, trace);
}

void CuptiTracer::stream_to(std::shared_ptr<GpuRecordRing> ring) {
  Impl& t = *impl_;
  if (!t.available || !ring) return;
  {
    std::lock_guard<std::mutex> lock(g_mu);  // the buffer callbacks read `ring` under it
    t.ring = ring;
  }
  ring->set_source([&t](bool final) {
    if (final && t.active) t.set_kinds(false);
    const uint64_t enables = t.enables.load();
    const bool was_on = t.active.load();
    (void)cuptiActivityFlushAll(final ? CUPTI_ACTIVITY_FLAG_FLUSH_FORCED : 0);
    // A default flush returns only buffers whose records are complete: all of them only if
    // tracing stayed off throughout.
    const bool quiet = !was_on && !t.active.load() && enables == t.enables.load();
    t.ring->calibrate(read_clocks(), quiet);
  });
  t.ring->calibrate(t.first_clock, true);
}

void CuptiTracer::set_tracing(bool on) {
  Impl& t = *impl_;
  if (!t.available || t.finished || on == t.active.load(std::memory_order_relaxed)) return;
  t.set_kinds(on);
}

#else  // no CUPTI in this build

struct CuptiTracer::Impl {
  std::string why = "CUPTI not compiled in";
};

CuptiTracer::CuptiTracer(int /*device*/) : impl_(std::make_unique<Impl>()) {}
CuptiTracer::~CuptiTracer() = default;
bool CuptiTracer::available() const {
  return false;
}
const std::string& CuptiTracer::why() const {
  return impl_->why;
}
void CuptiTracer::begin_frame(int64_t /*index*/) {}
void CuptiTracer::end_frame() {}
void CuptiTracer::on_enqueue_begin(size_t /*step*/) {}
void CuptiTracer::on_enqueue_end(size_t /*step*/) {}
void CuptiTracer::finish(GpuTrace& trace) {
  trace.cupti = false;
  trace.cupti_why = impl_->why;
}
void CuptiTracer::stream_to(std::shared_ptr<GpuRecordRing> /*ring*/) {}
void CuptiTracer::set_tracing(bool /*on*/) {}

#endif

}  // namespace ys
