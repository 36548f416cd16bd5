#include "backends/cuda/plan_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_context.h"
#include "core/file_io.h"
#include "model/builtin_models.h"
#include "model/prepare.h"
#include "runtime/executor.h"
#include "test_gpu.h"

namespace ys::cuda {
namespace {

// Points YOLOSCOPE_CACHE_DIR at a fresh folder for one test and puts the old value back.
class ScratchCacheDir {
 public:
  ScratchCacheDir()
      : dir_(std::filesystem::temp_directory_path() /
             ("ys_plan_cache_test_" + std::to_string(::getpid()))) {
    if (const char* old = std::getenv("YOLOSCOPE_CACHE_DIR")) old_ = old;
    std::filesystem::remove_all(dir_);
    ::setenv("YOLOSCOPE_CACHE_DIR", dir_.c_str(), 1);
  }
  ~ScratchCacheDir() {
    std::filesystem::remove_all(dir_);
    if (old_) {
      ::setenv("YOLOSCOPE_CACHE_DIR", old_->c_str(), 1);
    } else {
      ::unsetenv("YOLOSCOPE_CACHE_DIR");
    }
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

ConvChoices sample_choices() {
  ConvChoice fused;
  fused.algo = 1;
  fused.math = 1;
  fused.workspace_bytes = size_t{1} << 20;
  fused.fused_engine = 42;
  fused.label = "cudnn:fused_conv_bias_silu:eng42";
  // A plan's JSON has spaces, new lines and, who knows, bytes that are not text.
  fused.plan_json = std::string("{\"engine\": 42,\n \"kernel\": \"\x01\xff\"}\n", 36);
  ConvChoice legacy;
  legacy.algo = 6;
  legacy.legacy_fused_algo = 1;
  legacy.label = "cudnn:conv_bias_identity:algo1";
  return {{"/model.0/conv/Conv", fused}, {"/model.22/cv3/Conv", legacy}};
}

StartupCacheKey host_key(const std::string& model) {
  return {"Test GPU 0000",
          "580.0",
          "cudnn 91900 cudart 13000",
          sha256_hex(model),
          "images:1x3x320x320",
          1,
          "fp16",
          "graph_fusion=1"};
}

TEST(CudaPlanCache, ChoicesRoundTripWithPlanBlobs) {
  const auto back = decode_conv_choices(encode_conv_choices(sample_choices()));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  const ConvChoice& f = back->at("/model.0/conv/Conv");
  EXPECT_EQ(f.fused_engine, 42);
  EXPECT_EQ(f.workspace_bytes, size_t{1} << 20);
  EXPECT_EQ(f.label, "cudnn:fused_conv_bias_silu:eng42");
  EXPECT_EQ(f.plan_json, sample_choices().at("/model.0/conv/Conv").plan_json);
  const ConvChoice& l = back->at("/model.22/cv3/Conv");
  EXPECT_EQ(l.algo, 6);
  EXPECT_EQ(l.legacy_fused_algo, 1);
  EXPECT_EQ(l.fused_engine, -1);
  EXPECT_TRUE(l.plan_json.empty());
}

TEST(CudaPlanCache, BadPayloadsDoNotParse) {
  const std::string good = encode_conv_choices(sample_choices());
  EXPECT_FALSE(decode_conv_choices("layer 1 2 3\n"));
  EXPECT_FALSE(decode_conv_choices("layer 1 2 3 4 5 label 0 extra\n"));
  EXPECT_FALSE(decode_conv_choices("layer x 2 3 4 5 label 0\n"));
  EXPECT_FALSE(decode_conv_choices("layer 1 2 3 4 5 label 9\nabc"));  // blob cut short
  EXPECT_FALSE(decode_conv_choices("layer 1 2 3 4 5 label 0"));       // line cut short
  EXPECT_FALSE(decode_conv_choices(good.substr(0, good.size() - 3)));
  EXPECT_FALSE(decode_conv_choices(good + good.substr(0, good.find('\n') + 1)));
  EXPECT_TRUE(decode_conv_choices(""));
  ConvChoices spaced = {{"has space", {}}};
  spaced.begin()->second.label = "x";
  EXPECT_TRUE(encode_conv_choices(spaced).empty());
}

// The note each way a load can go, and what it leaves on disk; no device needed.
TEST(CudaPlanCache, NotesMissHitStaleCorruptAndOff) {
  ScratchCacheDir scratch;
  bool warn = false;
  ConvCache miss = open_conv_cache(host_key("a"));
  ASSERT_TRUE(miss.enabled);
  EXPECT_TRUE(miss.stored.empty());
  EXPECT_TRUE(finish_conv_cache(miss, &warn).empty()) << "no convolution: nothing to say";
  miss.chosen = sample_choices();
  EXPECT_EQ(finish_conv_cache(miss, &warn), "start-up cache: miss, written (" + miss.path + ")");
  EXPECT_FALSE(warn);

  ConvCache hit = open_conv_cache(host_key("a"));
  ASSERT_EQ(hit.stored.size(), 2u);
  hit.chosen = hit.stored;
  hit.taken = 2;
  EXPECT_EQ(finish_conv_cache(hit, &warn), "start-up cache: hit (" + hit.path + ")");
  EXPECT_FALSE(warn);

  ConvCache partial = open_conv_cache(host_key("a"));
  partial.chosen = partial.stored;
  partial.taken = 2;
  partial.plans_rebuilt = 1;
  partial.rebuilt_why = "plan from JSON refused: bad";
  EXPECT_EQ(finish_conv_cache(partial, &warn),
            "start-up cache: partial hit, 1 of 2 convolutions rebuilt (plan from JSON refused: "
            "bad), written (" +
                partial.path + ")");
  EXPECT_TRUE(warn);

  StartupCacheKey new_driver = host_key("a");
  new_driver.driver = "590.0";
  ConvCache stale = open_conv_cache(new_driver);
  EXPECT_EQ(stale.path, hit.path);
  EXPECT_TRUE(stale.stored.empty());
  stale.chosen = sample_choices();
  EXPECT_EQ(finish_conv_cache(stale, &warn),
            "start-up cache: stale: driver changed, rebuilt, written (" + stale.path + ")");
  EXPECT_TRUE(warn);
  EXPECT_EQ(open_conv_cache(new_driver).stored.size(), 2u) << "the rebuilt file replaced it";

  std::string bytes = read_file_bytes(stale.path);
  bytes[bytes.size() / 2] ^= 1;
  write_file_atomic(stale.path, bytes, "test");
  ConvCache corrupt = open_conv_cache(new_driver);
  EXPECT_TRUE(corrupt.stored.empty());
  corrupt.chosen = sample_choices();
  EXPECT_EQ(
      finish_conv_cache(corrupt, &warn),
      "start-up cache: unreadable (checksum mismatch), rebuilt, written (" + corrupt.path + ")");
  EXPECT_TRUE(warn);

  ConvCache off = disabled_conv_cache("no cache folder");
  off.chosen = sample_choices();
  EXPECT_EQ(finish_conv_cache(off, &warn), "start-up cache: off (no cache folder)");
}

// The built-in YOLOv8n at 320 (no test data needed), FP16 with cuDNN's fused engines, timed.
Graph model(float weight_nudge = 0.f) {
  Graph g = build_builtin_model("yolov8n.yaml", 320);
  prepare_graph(g);
  if (weight_nudge != 0.f) {
    for (Value& v : g.values) {
      if (v.is_constant() && v.dtype == DType::kFloat32 && v.shape.size() == 4) {
        v.data = v.data.clone();
        v.data.ptr<float>()[0] += weight_nudge;
        break;
      }
    }
  }
  return g;
}

struct Load {
  StartupCounters counters;
  std::string note;
  Tensor output;
  std::vector<std::string> labels;  // each step's implementation
  int fused = 0;                    // steps that run a fused cuDNN plan
};

Load load_and_run(Graph g) {
  Executor ex(std::move(g), make_cuda_backend({.half = true, .fusion_candidates = 3}));
  const Value& v = ex.graph().values[static_cast<size_t>(ex.graph().inputs[0])];
  Tensor in(DType::kFloat32, v.shape);
  for (int64_t i = 0; i < in.numel(); ++i) in.ptr<float>()[i] = static_cast<float>(i % 255) / 255.f;
  ex.set_input(0, in);
  ex.run();
  const std::shared_ptr<Context> c = cuda_context_of(ex.backend());
  Load load{c->counters, c->cache_note, ex.read_output(0).clone(), {}, 0};
  for (const ExecutionStep& s : ex.steps()) {
    load.labels.push_back(s.kernel->implementation());
    load.fused += load.labels.back().rfind("cudnn:fused_conv", 0) == 0;
  }
  return load;
}

TEST(CudaPlanCache, SecondLoadTakesTheCacheAndGivesTheSameOutput) {
  YS_REQUIRE_GPU();
  ScratchCacheDir scratch;
  const Load first = load_and_run(model());
  EXPECT_NE(first.note.find("start-up cache: miss, written"), std::string::npos) << first.note;
  EXPECT_GT(first.counters.algorithm_finds, 0);
  EXPECT_GT(first.counters.plans_built, 0) << "no fused plan: nothing for the JSON path to prove";
  const Load second = load_and_run(model());
  EXPECT_EQ(second.note.rfind("start-up cache: hit (", 0), 0u) << second.note;
  EXPECT_EQ(second.counters.algorithm_finds, 0);
  EXPECT_EQ(second.counters.timings, 0);
  EXPECT_EQ(second.counters.plans_built, 0) << "a plan was finalized from heuristics on a hit";
  EXPECT_GT(second.counters.plans_loaded, 0) << "no plan came back from JSON";
  // Engines that are not runtime-compiled have no JSON; those finalize alone, without NVRTC.
  EXPECT_EQ(second.counters.plans_loaded + second.counters.plans_alone, first.fused);
  EXPECT_EQ(second.labels, first.labels) << "a convolution runs another kernel than it chose";
  ASSERT_EQ(second.output.shape(), first.output.shape());
  // The same algorithms and plans on the same input.
  for (int64_t i = 0; i < first.output.numel(); ++i)
    ASSERT_EQ(second.output.ptr<float>()[i], first.output.ptr<float>()[i]) << "element " << i;
}

TEST(CudaPlanCache, ChangedModelMissesAndCorruptFileIsRebuilt) {
  YS_REQUIRE_GPU();
  ScratchCacheDir scratch;
  (void)load_and_run(model());
  const Load changed = load_and_run(model(0.5f));
  EXPECT_NE(changed.note.find("start-up cache: miss, written"), std::string::npos) << changed.note;
  EXPECT_GT(changed.counters.algorithm_finds, 0);
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(scratch.dir()), {}), 2);

  for (const auto& entry : std::filesystem::directory_iterator(scratch.dir())) {
    std::string bytes = read_file_bytes(entry.path().string());
    bytes[bytes.size() / 3] ^= 0x40;
    write_file_atomic(entry.path().string(), bytes, "test");
  }
  const Load corrupt = load_and_run(model());
  EXPECT_NE(corrupt.note.find("unreadable (checksum mismatch), rebuilt, written"),
            std::string::npos)
      << corrupt.note;
  EXPECT_GT(corrupt.counters.algorithm_finds, 0);
  const Load again = load_and_run(model());
  EXPECT_EQ(again.note.rfind("start-up cache: hit (", 0), 0u) << again.note;
}

}  // namespace
}  // namespace ys::cuda
