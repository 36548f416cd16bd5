// The table of the `yolo` command's words: every key=value argument (kArgSpecs: default, type,
// help, bounds) and the task, mode and sub-command words. A new argument is one ArgSpec row here;
// parsing, validation, `yolo help`, docs/CLI.md and the suggestions for typos all read it.
#pragma once

#include <array>
#include <string_view>

namespace ys {

inline constexpr std::array<std::string_view, 6> kModes = {"predict", "export",    "info",
                                                           "report",  "benchmark", "compare"};
inline constexpr std::array<std::string_view, 3> kRefusedModes = {"train", "val", "track"};
inline constexpr std::array<std::string_view, 4> kRefusedTasks = {"segment", "classify", "pose",
                                                                  "obb"};
inline constexpr std::array<std::string_view, 3> kSpecialModes = {"help", "version", "checks"};
inline constexpr std::array<std::string_view, 4> kReportVerbs = {"serve", "encrypt", "decrypt",
                                                                 "upload"};

// Each type is also its validation rule; type_name() says it in `yolo help`.
enum class ArgType {
  kBool,            // True/False, true/false, 1/0
  kPositiveInt,     // int >= 1
  kNonNegativeInt,  // int >= 0
  kPositiveFloat,   // int or float > 0
  kFraction,        // int or float in [0, 1]
  kString,          // any text; numbers keep the text as typed
  kChoice,          // one of ArgSpec::choices ('|'-separated)
  kImgsz,           // int or [h, w]; stored as [h, w], rounded up to a multiple of 32
  kClassList,       // int or list of ints >= 0; stored as a list
  kDevice,          // cpu, cuda, cuda:N, N or N,M; stored as "cpu" or "0" / "0,1"
  kSchedule,        // wait,warmup,active,repeat; stored as 4 ints
  kFrameSize,       // WxH or ''; stored as [W, H] or []
  kPort,            // int in [0, 65535]
};

struct ArgSpec {
  std::string_view key;
  // As typed on the command line; "None" makes the key nullable.
  std::string_view default_value;
  ArgType type;
  std::string_view help;
  std::string_view choices = {};  // kChoice only
  // kPositiveInt and kNonNegativeInt: the largest value allowed; 0 for none. Where a huge value
  // would crash a library (libgomp at threads=100000) or exhaust memory before saying why.
  int max = 0;
};

inline constexpr std::array kArgSpecs = {
    ArgSpec{"model", "yolov8n.yaml", ArgType::kString,
            "ONNX file (yolov8n.onnx) or built-in architecture with synthetic weights "
            "(yolov8n.yaml)"},
    ArgSpec{"source", "synthetic", ArgType::kString,
            "image, directory, glob, video, RTSP URL, '-' for raw BGR frames on stdin, or "
            "'synthetic' for generated frames"},
    ArgSpec{"imgsz", "640", ArgType::kImgsz,
            "inference size as int or [h, w]; rounded up to a multiple of 32"},
    ArgSpec{"batch", "1", ArgType::kPositiveInt, "images per inference batch"},
    ArgSpec{"conf", "0.25", ArgType::kFraction, "confidence threshold for detections"},
    ArgSpec{"iou", "0.7", ArgType::kFraction, "IoU threshold for NMS"},
    ArgSpec{"max_det", "300", ArgType::kPositiveInt, "maximum detections per image"},
    ArgSpec{"classes", "None", ArgType::kClassList,
            "keep only these class ids, i.e. classes=0 or classes=[0,2]; None keeps all"},
    ArgSpec{"agnostic_nms", "False", ArgType::kBool, "class-agnostic NMS"},
    ArgSpec{"device", "cpu", ArgType::kDevice,
            "'cpu', or CUDA device '0' / 'cuda:0', or '0,1' for several GPUs"},
    ArgSpec{"half", "False", ArgType::kBool, "FP16 inference (CUDA only)"},
    ArgSpec{"cuda_graph", "True", ArgType::kBool,
            "capture the model in a CUDA Graph and replay it (CUDA only)"},
    ArgSpec{"gpu_pipeline", "True", ArgType::kBool,
            "letterbox, box decoding and NMS on the GPU, copying only detections back (CUDA only)"},
    ArgSpec{"cudnn_fusion", "True", ArgType::kBool,
            "convolution + bias + SiLU as one cuDNN operation graph (CUDA, half=True only; its "
            "kernels are compiled at start-up, a few seconds)"},
    ArgSpec{"streams",
            "1",
            ArgType::kPositiveInt,
            "detectors working on consecutive batches at once, each on its own thread (and CUDA "
            "stream), that many per device with a device list; results keep the source order. With "
            "profile=True only with a device list",
            {},
            64},
    ArgSpec{"threads",
            "0",
            ArgType::kNonNegativeInt,
            "CPU threads; 0: one per core that other processes leave free, chosen at start",
            {},
            1024},
    ArgSpec{"save", "True", ArgType::kBool,
            "save annotated images and videos (on by default, as in Ultralytics' CLI)"},
    ArgSpec{"save_txt", "False", ArgType::kBool, "save results as YOLO-format .txt labels"},
    ArgSpec{"save_conf", "False", ArgType::kBool, "add confidences to save_txt labels"},
    ArgSpec{"save_json", "False", ArgType::kBool, "write predictions.json in the run directory"},
    ArgSpec{"project", "runs/detect", ArgType::kString, "directory that holds the runs"},
    ArgSpec{"name", "predict", ArgType::kString,
            "run directory under project; numbered (predict2, ...) unless exist_ok"},
    ArgSpec{"exist_ok", "False", ArgType::kBool,
            "reuse an existing project/name directory; let export overwrite its file"},
    ArgSpec{"verbose", "True", ArgType::kBool, "print per-image results"},
    ArgSpec{"show_labels", "True", ArgType::kBool, "draw class labels on saved images"},
    ArgSpec{"show_conf", "True", ArgType::kBool, "draw confidences on saved images"},
    ArgSpec{"line_width", "None", ArgType::kPositiveInt,
            "box line width in pixels; None scales with the image"},
    ArgSpec{"vid_stride", "1", ArgType::kPositiveInt,
            "process every n-th video frame (0, n, 2n, ...); still images all run"},
    ArgSpec{"decoder", "auto", ArgType::kChoice,
            "frame decoding: 'cpu'; 'nvdec' (H.264/H.265/AV1/VP9 video on a CUDA device; raw "
            ".h264/.h265 streams need no FFmpeg libraries) or 'nvjpeg' (JPEG images), each "
            "falling back to the CPU with a one-line note where it cannot run; 'auto' picks nvdec "
            "for such a video on a CUDA device with the GPU pipeline, else the CPU (nvJPEG is not "
            "in the frame loop yet, issue 20)",
            "auto|cpu|nvdec|nvjpeg"},
    ArgSpec{"max_pixels", "100000000", ArgType::kPositiveInt,
            "pixel budget: image files whose header claims more pixels are skipped undecoded "
            "(decompression bombs)"},
    ArgSpec{"frames", "100", ArgType::kPositiveInt,
            "number of frames for source=synthetic; frames measured by 'yolo benchmark' (per side "
            "for 'yolo compare a= b=')"},
    ArgSpec{"baseline", "", ArgType::kString,
            "'yolo compare': the benchmark file to compare against, i.e. baseline.json"},
    ArgSpec{"current", "", ArgType::kString,
            "'yolo compare': the benchmark file of the run under test, i.e. benchmark.json"},
    ArgSpec{"a", "", ArgType::kString,
            "'yolo compare' A/B in one run: the baseline side, key=value changes ('threads=1') "
            "or the path of a yolo binary"},
    ArgSpec{"b", "", ArgType::kString, "'yolo compare' A/B in one run: the side under test, as a="},
    ArgSpec{"threshold", "0.05", ArgType::kFraction,
            "'yolo compare': smallest change of a median that counts (0.05: 5%), when also "
            "significant"},
    ArgSpec{"level", "stage", ArgType::kChoice,
            "'yolo compare': pipeline stages only, or stages and model layers", "stage|layer"},
    ArgSpec{"normalize", "auto", ArgType::kChoice,
            "'yolo compare': scale the baseline by the calibration ratio when the machines differ "
            "(auto), always (calibration) or never (none)",
            "auto|calibration|none"},
    ArgSpec{"raw_size", "", ArgType::kFrameSize,
            "'WxH' of the raw BGR frames read with source=-, i.e. raw_size=1280x720"},
    ArgSpec{"raw_fps", "30", ArgType::kPositiveFloat,
            "frame rate of source=- (timestamps and saved video)"},
    ArgSpec{"format", "onnx", ArgType::kChoice,
            "export format (onnx); 'yolo compare' output (table when not given)",
            "onnx|table|markdown|junit|json"},
    ArgSpec{"opset", "17", ArgType::kPositiveInt, "ONNX opset of the exported model"},
    ArgSpec{"simplify", "True", ArgType::kBool, "fold constants in the exported model"},
    ArgSpec{"profile", "False", ArgType::kBool,
            "profile the run; the PROFILING_ENABLED environment variable overrides it"},
    ArgSpec{"profile_schedule", "5,10,100,1", ArgType::kSchedule,
            "profiler schedule 'wait,warmup,active,repeat' in frames; repeat=0 repeats to the end"},
    ArgSpec{"profile_detail", "default", ArgType::kChoice,
            "'detailed' also records every GPU kernel, copy and synchronisation through CUPTI; "
            "'long' profiles a stream for hours: per-second buckets, spikes with their period in "
            "wall time, flight records and who caused them (README, 'Long runs')",
            "default|detailed|long"},
    ArgSpec{
        "profile_duration", "None", ArgType::kPositiveFloat,
        "seconds a profile_detail=long run lasts; None: until the source ends (source=synthetic "
        "without frames= then runs until stopped)"},
    ArgSpec{"profile_host", "True", ArgType::kBool,
            "profile_detail=long: read other processes' CPU, the run queue and our threads' waits "
            "from /proc every 100 ms, for the spikes' blame; False leaves the host out"},
    ArgSpec{"profile_whatif", "False", ArgType::kBool,
            "re-run with the advisor's suggestions to measure their gain"},
    ArgSpec{"serve", "False", ArgType::kBool,
            "serve a live dashboard and /metrics during the run, and the report after it"},
    ArgSpec{"metrics", "False", ArgType::kBool,
            "serve Prometheus /metrics (only) during the run, on host and port"},
    ArgSpec{"host", "127.0.0.1", ArgType::kString, "address the report server listens on"},
    ArgSpec{"port", "8080", ArgType::kPort, "port of the report server; 0 picks a free one"},
    ArgSpec{"allowed_hosts", "", ArgType::kString,
            "more Host names the report server answers, comma-separated (name, name:port, or * "
            "for any); localhost, 127.0.0.1, [::1] and the bound address always"},
    ArgSpec{"dir", "", ArgType::kString,
            "profile directory for 'yolo report serve' and 'yolo report encrypt', i.e. "
            "runs/detect/predict/profile"},
    ArgSpec{"token", "", ArgType::kString,
            "access token the report server asks for (YOLOSCOPE_SERVER_TOKEN too); generated "
            "and printed when the server binds beyond loopback without one"},
    ArgSpec{"tls_cert", "", ArgType::kString,
            "PEM certificate (chain) for HTTPS on the report server; with tls_key"},
    ArgSpec{"tls_key", "", ArgType::kString, "PEM private key of tls_cert"},
    ArgSpec{"report_encrypt", "False", ArgType::kBool,
            "after the run, seal the profile folder into <run>/profile.ysr (AES-256-GCM) and "
            "remove the plain files; key from YOLOSCOPE_REPORT_KEY, report_key_file= or "
            "YOLOSCOPE_REPORT_PASSPHRASE"},
    ArgSpec{"report_keep_plain", "False", ArgType::kBool,
            "keep the plain profile folder beside profile.ysr"},
    ArgSpec{"report_key_file", "", ArgType::kString,
            "file holding the report key (32 bytes, or 64 hex digits, or base64)"},
    ArgSpec{"report_upload", "", ArgType::kString,
            "after the run, upload the report (profile.ysr, or the profile folder's files) to "
            "s3://bucket/prefix/"},
    ArgSpec{"s3_sse", "", ArgType::kString,
            "server-side encryption asked of S3 on upload (x-amz-server-side-encryption): AES256 "
            "or aws:kms; none when empty"},
    ArgSpec{"upload_timeout", "30", ArgType::kPositiveFloat,
            "seconds for the whole upload, retries included: 5xx answers and timeouts are tried "
            "again up to 3 times with backoff while time is left"},
    ArgSpec{"file", "", ArgType::kString,
            "encrypted report for 'yolo report decrypt|serve|upload', i.e. "
            "runs/detect/predict/profile.ysr"},
    ArgSpec{"out", "", ArgType::kString,
            "output of 'yolo report decrypt' (a new folder) or 'yolo report encrypt' (the .ysr "
            "file; <dir>.ysr when empty); of 'yolo benchmark' (benchmark.json when empty); of "
            "'yolo compare' in format= (printed when empty)"},
    ArgSpec{"to", "", ArgType::kString, "destination of 'yolo report upload': s3://bucket/prefix/"},
};

}  // namespace ys
