// ONNX's own backend node tests (Debian package libonnx-testdata) run through the product's path:
// load_onnx_file -> prepare_graph -> Executor on the CPU backend -> set inputs -> run -> compare.
//
// Every case whose model uses only operators in our registry (supported_ops(); Constant is folded
// by the loader) is one parameterised test. The rule: a case either matches ONNX's reference
// outputs within ONNX's own tolerance (onnx/backend/test/runner: rtol 1e-3, atol 1e-7; exact for
// integers and bools), or it is refused before it runs (load, prepare or kernel creation) with an
// ys::Error of kind kUnsupported, whose message is printed. A wrong answer, any other error, or a
// crash fails. Cases that use operators outside the registry are only counted, and one test checks
// that the loader refuses each of them cleanly with kUnsupported.
//
// OnnxNodeSummary.Report runs all cases in one process and prints the totals with the refusal
// reasons grouped (see docs/ONNX_NODE_TESTS.md). The data are not part of the product: every test
// skips with a message when /usr/share/libonnx-testdata is absent; YS_ONNX_NODE_TESTDATA points
// the tests at another copy of data/node.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"
#include "core/tensor.h"
#include "model/onnx_loader.h"
#include "model/op_schema.h"
#include "model/prepare.h"
#include "runtime/executor.h"

namespace fs = std::filesystem;

namespace {

std::string node_data_dir() {
  const char* env = std::getenv("YS_ONNX_NODE_TESTDATA");
  return env && *env ? std::string(env) : std::string("/usr/share/libonnx-testdata/data/node");
}

struct NodeCase {
  std::string name;  // "test_add_bcast"
  fs::path dir;
  std::set<std::string> ops;        // op types used by the model (default domain)
  std::vector<std::string> unsupported;  // ops or domains outside our registry
};

// gtest prints the parameter of a failing case: its name, not its bytes.
void PrintTo(const NodeCase& c, std::ostream* os) { *os << (c.name.empty() ? "no_data" : c.name); }

void collect_ops(const onnx::GraphProto& g, std::set<std::string>& ops, std::set<std::string>& foreign) {
  for (const auto& n : g.node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      foreign.insert(n.domain() + "::" + n.op_type());
    } else {
      ops.insert(n.op_type());
    }
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_ops(a.g(), ops, foreign);
      for (const auto& sg : a.graphs()) collect_ops(sg, ops, foreign);
    }
  }
}

std::vector<NodeCase> discover_all() {
  std::vector<NodeCase> out;
  fs::path root = node_data_dir();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  std::set<std::string> supported;
  for (const auto& op : ys::supported_ops()) supported.insert(op);
  supported.insert("Constant");  // the loader folds it into a constant
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    fs::path model = entry.path() / "model.onnx";
    if (!fs::is_regular_file(model)) continue;
    NodeCase c;
    c.name = entry.path().filename().string();
    c.dir = entry.path();
    onnx::ModelProto proto;
    std::ifstream f(model, std::ios::binary);
    std::set<std::string> foreign;
    if (!proto.ParseFromIstream(&f)) {
      c.unsupported.push_back("(model.onnx does not parse)");
    } else {
      collect_ops(proto.graph(), c.ops, foreign);
      for (const auto& op : c.ops) {
        if (!supported.count(op)) c.unsupported.push_back(op);
      }
      for (const auto& op : foreign) c.unsupported.push_back(op);
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const NodeCase& a, const NodeCase& b) { return a.name < b.name; });
  return out;
}

const std::vector<NodeCase>& all_cases() {
  static const std::vector<NodeCase> cases = discover_all();
  return cases;
}

std::vector<NodeCase> in_scope_cases() {
  std::vector<NodeCase> out;
  for (const auto& c : all_cases()) {
    if (c.unsupported.empty()) out.push_back(c);
  }
  return out;
}

// ---- comparison, as numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7) in ONNX's runner ----

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

bool is_float(ys::DType t) {
  return t == ys::DType::kFloat32 || t == ys::DType::kFloat16 || t == ys::DType::kFloat64;
}

// Empty string when equal; otherwise a description of the first mismatches.
std::string compare(const ys::Tensor& expected, const ys::Tensor& got) {
  std::ostringstream os;
  if (expected.dtype() != got.dtype()) {
    os << "dtype " << ys::dtype_name(got.dtype()) << ", expected " << ys::dtype_name(expected.dtype());
    return os.str();
  }
  if (expected.shape() != got.shape()) {
    os << "shape " << ys::shape_str(got.shape()) << ", expected " << ys::shape_str(expected.shape());
    return os.str();
  }
  int64_t bad = 0;
  double worst = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    bool ok;
    double e = 0, g = 0;
    if (is_float(expected.dtype())) {
      e = ys::element_as_double(expected, i);
      g = ys::element_as_double(got, i);
      if (std::isnan(e) || std::isnan(g)) {
        ok = std::isnan(e) && std::isnan(g);
      } else if (std::isinf(e) || std::isinf(g)) {
        ok = e == g;
      } else {
        ok = std::abs(g - e) <= kAtol + kRtol * std::abs(e);
      }
    } else {
      e = static_cast<double>(ys::element_as_int(expected, i));
      g = static_cast<double>(ys::element_as_int(got, i));
      ok = ys::element_as_int(expected, i) == ys::element_as_int(got, i);
    }
    if (!ok) {
      if (bad < 5) os << (bad ? "; " : "") << "[" << i << "] got " << g << ", expected " << e;
      worst = std::max(worst, std::abs(g - e));
      ++bad;
    }
  }
  if (bad == 0) return {};
  std::ostringstream head;
  head << bad << " of " << expected.numel() << " elements differ (max abs diff " << worst << "): " << os.str();
  return head.str();
}

// ---- running one case ----

enum class Outcome { kPass, kRefused, kFail };

struct Result {
  Outcome outcome = Outcome::kFail;
  std::string message;
};

const char* kind_name(ys::ErrorKind k) {
  switch (k) {
    case ys::ErrorKind::kInvalidArgument: return "kInvalidArgument";
    case ys::ErrorKind::kNotFound: return "kNotFound";
    case ys::ErrorKind::kUnsupported: return "kUnsupported";
    case ys::ErrorKind::kBadModel: return "kBadModel";
    case ys::ErrorKind::kBadInput: return "kBadInput";
    case ys::ErrorKind::kIo: return "kIo";
    case ys::ErrorKind::kInternal: return "kInternal";
    case ys::ErrorKind::kOutOfMemory: return "kOutOfMemory";
  }
  return "?";
}

// "<prefix>_<N>.pb" files of a data set, in the order of N. (No std::regex in this file: g++ 12
// warns inside <regex> under -O2 -fsanitize=address, and warnings are errors.)
std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string fname = e.path().filename().string();
    const std::string head = prefix + "_";
    if (fname.size() <= head.size() + 3 || fname.compare(0, head.size(), head) != 0 ||
        fname.compare(fname.size() - 3, 3, ".pb") != 0)
      continue;
    const std::string digits = fname.substr(head.size(), fname.size() - head.size() - 3);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      continue;
    found.emplace_back(std::stol(digits), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& p : found) out.push_back(p.second);
  return out;
}

std::vector<fs::path> data_sets(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result run_case(const NodeCase& c) {
  Result r;
  std::string stage = "load";
  try {
    auto sets = data_sets(c.dir);
    if (sets.empty()) return {Outcome::kFail, "no test_data_set_* folder"};
    for (const auto& set : sets) {
      const std::string set_name = set.filename().string();
      stage = "load";
      ys::Graph g = ys::load_onnx_file((c.dir / "model.onnx").string());
      stage = "read inputs " + set_name;
      std::vector<ys::Tensor> inputs, expected;
      std::vector<std::string> expected_names;
      for (const auto& p : sorted_files(set, "input")) inputs.push_back(ys::load_tensor_proto_file(p.string()));
      if (g.inputs.size() != inputs.size()) {
        return {Outcome::kFail, ys::cat(set_name, ": the graph has ", g.inputs.size(), " inputs, the data set ",
                                        inputs.size())};
      }
      // prepare_graph() fixes the first input's shape (PrepareOptions::input_shape); the other
      // inputs of every node-test model in ONNX 1.12's data are static. Should a later data set
      // have a dynamic one, prepare refuses it naming the dimension, and the case fails here:
      // PrepareOptions would then need one shape per input.
      ys::PrepareOptions options;
      options.feeds_all_inputs = true;
      if (!inputs.empty()) options.input_shape = inputs[0].shape();
      stage = "prepare";
      ys::prepare_graph(g, options);
      stage = "kernel creation";
      ys::Executor ex(std::move(g), ys::make_cpu_backend());
      stage = "set_input";
      for (size_t i = 0; i < inputs.size(); ++i) ex.set_input(i, inputs[i]);
      stage = "run";
      ex.run();
      // Read only now: an output dtype we cannot hold should have been refused before running.
      stage = "read expected outputs " + set_name;
      for (const auto& p : sorted_files(set, "output")) {
        std::string name;
        expected.push_back(ys::load_tensor_proto_file(p.string(), &name));
        expected_names.push_back(name);
      }
      stage = "compare";
      const ys::Graph& pg = ex.graph();
      if (pg.outputs.size() != expected.size()) {
        return {Outcome::kFail, ys::cat(set_name, ": ", pg.outputs.size(), " outputs, expected ", expected.size())};
      }
      for (size_t i = 0; i < expected.size(); ++i) {
        const std::string& out_name = pg.values[static_cast<size_t>(pg.outputs[i])].name;
        if (!expected_names[i].empty() && expected_names[i] != out_name) {
          return {Outcome::kFail, ys::cat(set_name, ": output #", i, " is '", out_name, "', the data set names '",
                                          expected_names[i], "'")};
        }
        std::string diff = compare(expected[i], ex.read_output(i));
        if (!diff.empty()) return {Outcome::kFail, ys::cat(set_name, ": output '", out_name, "': ", diff)};
      }
    }
    return {Outcome::kPass, {}};
  } catch (const ys::Error& e) {
    bool before_run = stage == "load" || stage == "prepare" || stage == "kernel creation" ||
                      stage.rfind("read inputs", 0) == 0;
    if (e.kind() == ys::ErrorKind::kUnsupported && before_run) {
      return {Outcome::kRefused, ys::cat("[", stage, "] ", e.what())};
    }
    return {Outcome::kFail, ys::cat("[", stage, "] ys::Error ", kind_name(e.kind()), ": ", e.what())};
  } catch (const std::exception& e) {
    return {Outcome::kFail, ys::cat("[", stage, "] std::exception: ", e.what())};
  } catch (...) {
    return {Outcome::kFail, ys::cat("[", stage, "] unknown exception")};
  }
}

// Groups refusal messages: quoted names become '…' and numbers N, so that the same reason
// given for different cases falls into one group.
std::string reason_key(const std::string& msg) {
  std::string out;
  for (size_t i = 0; i < msg.size(); ++i) {
    const char ch = msg[i];
    if (ch == '\'') {
      const size_t end = msg.find('\'', i + 1);
      if (end != std::string::npos) {
        out += "'…'";
        i = end;
        continue;
      }
    }
    const bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(msg[i - 1]));
    if (std::isdigit(static_cast<unsigned char>(ch)) && word_start) {
      size_t j = i;
      while (j < msg.size() && std::isdigit(static_cast<unsigned char>(msg[j]))) ++j;
      if (j == msg.size() || !std::isalpha(static_cast<unsigned char>(msg[j]))) {
        out += 'N';
        i = j - 1;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

// ---- tests ----

class OnnxNodeTest : public ::testing::TestWithParam<NodeCase> {};

TEST_P(OnnxNodeTest, MatchesReferenceOrRefuses) {
  const NodeCase& c = GetParam();
  if (c.name.empty()) GTEST_SKIP() << "ONNX node test data not found at " << node_data_dir()
                                   << " (install the Debian package libonnx-testdata or set YS_ONNX_NODE_TESTDATA)";
  Result r = run_case(c);
  switch (r.outcome) {
    case Outcome::kPass: break;
    case Outcome::kRefused: std::cout << "[ REFUSED  ] " << c.name << ": " << r.message << "\n"; break;
    case Outcome::kFail: ADD_FAILURE() << c.name << ": " << r.message; break;
  }
}

std::vector<NodeCase> params() {
  auto v = in_scope_cases();
  if (v.empty()) v.push_back(NodeCase{});  // one case that skips with a message
  return v;
}

INSTANTIATE_TEST_SUITE_P(Node, OnnxNodeTest, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<NodeCase>& info) {
                           return info.param.name.empty() ? std::string("no_data") : info.param.name;
                         });

// Models with operators outside the registry: the loader must refuse each of them with an
// ys::Error (kUnsupported naming the operator is expected; another kind is printed as a note),
// never accept it, crash or throw anything else.
TEST(OnnxNodeOutOfScope, LoaderRefusesUnsupportedOperators) {
  if (all_cases().empty()) GTEST_SKIP() << "ONNX node test data not found at " << node_data_dir();
  int checked = 0, other_kind = 0;
  for (const auto& c : all_cases()) {
    if (c.unsupported.empty()) continue;
    ++checked;
    try {
      (void)ys::load_onnx_file((c.dir / "model.onnx").string());
      ADD_FAILURE() << c.name << ": uses " << c.unsupported.front() << " but the loader accepted it";
    } catch (const ys::Error& e) {
      if (e.kind() != ys::ErrorKind::kUnsupported) {
        ++other_kind;
        std::cout << "[ NOTE     ] " << c.name << " (uses " << c.unsupported.front() << "): refused with "
                  << kind_name(e.kind()) << ", not kUnsupported: " << e.what() << "\n";
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": std::exception instead of ys::Error: " << e.what();
    }
  }
  std::cout << checked << " out-of-scope cases refused by the loader (" << other_kind
            << " with another kind than kUnsupported)\n";
}

// All in-scope cases in one process, with the totals and refusal reasons grouped. Informational:
// the per-case tests above carry the verdicts (a crash there fails only that case).
TEST(OnnxNodeSummary, Report) {
  if (all_cases().empty()) GTEST_SKIP() << "ONNX node test data not found at " << node_data_dir();
  int passed = 0, refused = 0, failed = 0, out_of_scope = 0;
  std::map<std::string, std::vector<std::string>> refusals, failures;
  std::map<std::string, std::string> example;  // one full message per refusal group
  std::map<std::string, int> missing_ops;
  for (const auto& c : all_cases()) {
    if (!c.unsupported.empty()) {
      ++out_of_scope;
      for (const auto& op : c.unsupported) ++missing_ops[op];
      continue;
    }
    Result r = run_case(c);
    switch (r.outcome) {
      case Outcome::kPass: ++passed; break;
      case Outcome::kRefused:
        ++refused;
        refusals[reason_key(r.message)].push_back(c.name);
        example.emplace(reason_key(r.message), r.message);
        break;
      case Outcome::kFail: ++failed; failures[c.name + ": " + r.message].push_back(c.name); break;
    }
  }
  std::ostringstream os;
  os << "ONNX node tests (" << node_data_dir() << "): " << all_cases().size() << " cases; "
     << (passed + refused + failed) << " use only supported ops: " << passed << " passed, " << refused
     << " refused, " << failed << " failed; " << out_of_scope << " use other ops (not run)\n";
  os << "\nRefusal reasons (" << refused << "):\n";
  for (const auto& [reason, names] : refusals) {
    os << "  " << names.size() << " x " << reason << "\n      e.g. " << example[reason] << "\n     ";
    for (const auto& n : names) os << " " << n;
    os << "\n";
  }
  os << "\nFailures (" << failed << "):\n";
  for (const auto& [msg, names] : failures) os << "  " << msg << "\n";
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [op, n] : missing_ops) top.emplace_back(n, op);
  std::sort(top.rbegin(), top.rend());
  os << "\nOperators outside the registry (cases using each):\n ";
  for (const auto& [n, op] : top) os << " " << op << "(" << n << ")";
  os << "\n";
  std::cout << os.str();
  if (const char* path = std::getenv("YS_ONNX_NODE_SUMMARY")) std::ofstream(path) << os.str();
}

}  // namespace
