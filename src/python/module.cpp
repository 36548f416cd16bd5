// _yoloscope: the C++ half of the yoloscope package (python/yoloscope/ is the other). It exposes
// the model (YoloModel), one predict run as an iterator of batches (PredictRun), and the
// pipeline's drawing and label formatting, so that Results.plot() and save_txt() give what the
// yolo command saves. ys::Error becomes ValueError (a bad argument), FileNotFoundError (a
// missing model or source), MemoryError, or RuntimeError, with the message unchanged. The GIL is
// released while a model loads and while Python waits for the next batch; detection itself runs
// on the run's own thread, which never takes it. Ctrl+C is Python's: the waiting checks for it
// every 50 ms and stops the run.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <unordered_map>

#include "cli/arg_table.h"
#include "cli/benchmark_run.h"
#include "cli/predict_options.h"
#include "core/error.h"
#include "pipeline/class_names.h"
#include "pipeline/draw.h"
#include "pipeline/sink.h"
#include "python/array_frames.h"
#include "python/input_source.h"
#include "python/model_binding.h"
#include "python/predict_run.h"
#include "report/benchmark_file.h"

namespace py = pybind11;

namespace ys {
namespace {

constexpr auto kSignalCheck = std::chrono::milliseconds(50);

void translate(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kInvalidArgument:
      PyErr_SetString(PyExc_ValueError, e.what());
      return;
    case ErrorKind::kNotFound:
      PyErr_SetString(PyExc_FileNotFoundError, e.what());
      return;
    case ErrorKind::kOutOfMemory:
      PyErr_SetString(PyExc_MemoryError, e.what());
      return;
    default:
      PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

// Detections as Ultralytics' boxes.data: float32 [N, 6] of x1, y1, x2, y2, conf, cls.
py::array_t<float> boxes_array(const std::vector<Detection>& dets) {
  py::array_t<float> out({static_cast<py::ssize_t>(dets.size()), py::ssize_t{6}});
  auto a = out.mutable_unchecked<2>();
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    const auto r = static_cast<py::ssize_t>(i);
    a(r, 0) = d.x1;
    a(r, 1) = d.y1;
    a(r, 2) = d.x2;
    a(r, 3) = d.y2;
    a(r, 4) = d.conf;
    a(r, 5) = static_cast<float>(d.cls);
  }
  return out;
}

std::vector<Detection> detections_from(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& boxes) {
  if (boxes.ndim() != 2 || (boxes.shape(0) > 0 && boxes.shape(1) < 6))
    fail(ErrorKind::kInvalidArgument,
         "boxes: expected an [N, 6] array (x1, y1, x2, y2, conf, cls)");
  auto a = boxes.unchecked<2>();
  std::vector<Detection> dets(static_cast<size_t>(boxes.shape(0)));
  for (py::ssize_t i = 0; i < boxes.shape(0); ++i)
    dets[static_cast<size_t>(i)] = {a(i, 0), a(i, 1), a(i, 2),
                                    a(i, 3), a(i, 4), static_cast<int>(a(i, 5))};
  return dets;
}

const char* kind_name(FrameKind k) {
  switch (k) {
    case FrameKind::kImage:
      return "image";
    case FrameKind::kVideo:
      return "video";
    case FrameKind::kStream:
      return "stream";
  }
  return "image";
}

// One predict: the run and the arrays its frames view, which must outlive it (declared first,
// destroyed last).
struct PyRun {
  std::unordered_map<const void*, py::object> arrays;
  std::unique_ptr<PredictRun> run;
  std::string model_name;
  py::object profile = py::none();

  ~PyRun() {
    py::gil_scoped_release release;  // joining waits for a batch in progress
    run.reset();
  }

  py::dict frame_dict(const DetectedBatch& b, size_t i) {
    const Frame& f = b.frames[i];
    py::dict d;
    d["path"] = f.source;
    d["kind"] = kind_name(f.kind);
    d["index"] = f.index;
    d["damage"] = f.damage;
    auto it = arrays.find(f.image.data());
    d["orig_img"] = it != arrays.end() ? it->second : py::object(array_from_image(f.image));
    d["boxes"] = boxes_array(b.detections[i]);
    const double n = static_cast<double>(b.frames.size());
    auto ms = [&](PipelineStage s) { return b.stage_ms[static_cast<size_t>(s)] / n; };
    py::dict speed;
    speed["preprocess"] = ms(PipelineStage::kPreprocess);
    speed["inference"] = ms(PipelineStage::kInference);
    speed["postprocess"] = ms(PipelineStage::kBoxDecode) + ms(PipelineStage::kNms);
    d["speed"] = speed;
    return d;
  }

  // The next batch's frames as dicts; None at the end (when the profile, if any, is written).
  py::object next_batch() {
    if (!run) return py::none();
    DetectedBatch batch;
    for (;;) {
      PredictRun::Next got;
      {
        py::gil_scoped_release release;
        got = run->next(batch, kSignalCheck);
      }
      if (PyErr_CheckSignals() != 0) {
        py::error_already_set interrupted;
        {
          py::gil_scoped_release release;
          run.reset();
        }
        throw interrupted;
      }
      if (got == PredictRun::Next::kBatch) break;
      if (got == PredictRun::Next::kEnd) return finish();
    }
    py::list frames;
    for (size_t i = 0; i < batch.frames.size(); ++i) frames.append(frame_dict(batch, i));
    return frames;
  }

  py::object finish() {
    std::optional<ProfileResult> result;
    {
      py::gil_scoped_release release;
      result = run->finish();
      run.reset();
    }
    if (result) {
      py::dict p = py::module_::import("json").attr("loads")(result->summary.dump());
      p["report_path"] = result->dir + "/report.html";
      p["report_dir"] = result->dir;
      p["console"] = result->console;
      profile = p;
    }
    return py::none();
  }

  void close() {
    py::gil_scoped_release release;
    run.reset();
  }
};

std::unique_ptr<PyRun> start(YoloModel& model, const py::list& sources, const Settings& settings) {
  Config config = model.config(settings);
  auto out = std::make_unique<PyRun>();
  std::vector<InputItem> items;
  size_t arrays = 0;
  for (py::handle item : sources) {
    if (py::isinstance<py::array>(item)) {
      py::array array = py::reinterpret_borrow<py::array>(item);
      Frame f = frame_from_array(array, cat("image", arrays++, ".jpg"));
      out->arrays.emplace(f.image.data(), array);
      items.emplace_back(std::move(f));
    } else {
      items.emplace_back(source_spec(config, py::str(item).cast<std::string>()));
    }
  }
  if (items.empty())
    fail(ErrorKind::kInvalidArgument, "source: an empty list; give at least one input");
  std::optional<SourceSpec> spec;
  if (items.size() == 1)
    if (const SourceSpec* one = std::get_if<SourceSpec>(&items.front())) spec = *one;
  Settings given = settings;
  py::gil_scoped_release release;
  std::unique_ptr<Source> source = open_input_list(std::move(items));
  auto [detector, lock] = model.acquire(config);
  out->model_name = detector->model().name;
  out->run = std::make_unique<PredictRun>(*detector, std::move(lock), std::move(source),
                                          std::move(spec), config, std::move(given));
  return out;
}

// `yolo benchmark` from Python: the same BenchmarkRun, frame by frame without the GIL, Ctrl+C
// checked between frames; returns the benchmark file's content, and writes it when out= is set.
py::object benchmark(const YoloModel& model, const std::string& source, const Settings& settings) {
  Config config = model.config(settings);
  config.set("source", source);
  std::unique_ptr<BenchmarkRun> run;
  {
    py::gil_scoped_release release;
    run = std::make_unique<BenchmarkRun>(config, "benchmark");
  }
  for (bool more = true; more;) {
    {
      py::gil_scoped_release release;
      more = run->step();
    }
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
  std::string text;
  {
    py::gil_scoped_release release;
    const BenchmarkRecord record = run->finish();
    if (!config.get_string("out").empty()) write_benchmark_file(config.get_string("out"), record);
    text = benchmark_to_json(record).dump();
  }
  return py::module_::import("json").attr("loads")(text);
}

py::dict model_dict(const YoloModel& model) {
  const ModelDescription& m = model.description();
  py::dict d;
  d["name"] = m.name;
  d["path"] = m.path;
  d["family"] = m.family;
  d["synthetic_weights"] = m.synthetic_weights;
  d["input_shape"] = std::vector<int64_t>(m.input_shape.begin(), m.input_shape.end());
  d["names"] = m.names;
  return d;
}

// The argument table, for the package's docstrings and stubs: key -> (default, help).
py::dict argument_table() {
  py::dict d;
  for (const ArgSpec& s : kArgSpecs)
    d[py::str(std::string(s.key))] =
        py::make_tuple(std::string(s.default_value), std::string(s.help));
  return d;
}

py::array plot(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& image,
               const py::array_t<float, py::array::c_style | py::array::forcecast>& boxes,
               const std::vector<std::string>& names) {
  if (image.ndim() != 3 || image.shape(2) != 3)
    fail(ErrorKind::kInvalidArgument, "plot: expected a (height, width, 3) BGR image");
  Tensor copy(DType::kUInt8, {image.shape(0), image.shape(1), 3});
  std::memcpy(copy.data(), image.data(), copy.nbytes());
  const std::vector<Detection> dets = detections_from(boxes);
  {
    py::gil_scoped_release release;
    draw_detections(copy, dets, names);
  }
  return array_from_image(copy);
}

}  // namespace
}  // namespace ys

PYBIND11_MODULE(_yoloscope, m) {
  using namespace ys;
  m.doc() = "YoloScope's C++ runtime; use the yoloscope package (from yoloscope import YOLO).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      translate(e);
    }
  });

  py::class_<YoloModel>(m, "Model")
      .def(py::init([](const std::string& model, const Settings& settings) {
             py::gil_scoped_release release;
             return std::make_unique<YoloModel>(model, settings);
           }),
           py::arg("model"), py::arg("settings"))
      .def("describe", &model_dict)
      .def("start", &start, py::arg("sources"), py::arg("settings"))
      .def("benchmark", &benchmark, py::arg("source"), py::arg("settings"));

  py::class_<PyRun>(m, "Run")
      .def("next_batch", &PyRun::next_batch)
      .def("close", &PyRun::close)
      .def_readonly("profile", &PyRun::profile);

  m.def("argument_table", &argument_table);
  m.def("plot", &plot, py::arg("image"), py::arg("boxes"), py::arg("names"));
  m.def("label_lines",
        [](const py::array_t<float, py::array::c_style | py::array::forcecast>& boxes, int width,
           int height, bool with_conf) {
          return yolo_label_lines(detections_from(boxes), width, height, with_conf);
        });
  m.def("summary", [](const py::array_t<float, py::array::c_style | py::array::forcecast>& boxes,
                      const std::vector<std::string>& names) {
    return detection_summary(detections_from(boxes), names);
  });
}
