// libFuzzer target: bytes as an ONNX model through the loader and prepare_graph (validation,
// shape inference, constant folding, fusion, stage mapping), as the detector loads a model.
// Kernels are not created: everything up to them must either succeed or throw ys::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "model/onnx_loader.h"
#include "model/prepare.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    ys::Graph g = ys::load_onnx_bytes(bytes, "fuzz input");
    ys::prepare_graph(g);
  } catch (const ys::Error& e) {
    // A refusal is the expected outcome; an internal error is our bug, as in the CLI.
    if (e.kind() == ys::ErrorKind::kInternal) throw;
  }
  return 0;
}
