// decoder=nvdec's decode-ahead (issue 20): a thread of its own reads the packets and pushes them
// into the device decoder, so that NVDEC decodes the next frames while the frame loop runs the
// model on this batch; the frame loop takes the frames in display order and letterboxes each
// into its batch slot when it asks (the slot holds the batch being detected until then).
//
// Ownership: this object owns the packet reader, the decoder and the thread. The reader is used
// by the thread alone once it starts. The decoder, the queue of skipped-packet messages, the
// counters and the flags are guarded by one mutex, so the decoder is never called from two
// threads at once (it need not be thread-safe: NVDEC's parser and surface mapping act on the
// context each call pushes). The thread keeps at most the decoder's max_ahead() pictures pushed
// beyond the frames taken, so no decoded frame waiting to be taken is overwritten, except when the
// consumer waits with nothing ready: then it pushes one more (pictures that display nothing, or
// several packets a frame, cannot stall the two). The destructor stops the thread, interrupts a
// network read and joins it before the decoder and reader go.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backends/device_video.h"
#include "pipeline/nvdec_packets.h"

namespace ys {

class DecodeAhead {
 public:
  DecodeAhead(std::unique_ptr<PacketReader> packets, std::unique_ptr<DeviceVideoDecoder> decoder);
  ~DecodeAhead();
  DecodeAhead(const DecodeAhead&) = delete;
  DecodeAhead& operator=(const DecodeAhead&) = delete;

  const PacketStreamInfo& info() const { return info_; }

  // On the caller's thread: decodes up to the first frame, so that what the device cannot decode
  // (ys::Error kUnsupported, from the first sequence header) is found before the run, then starts
  // the thread. False when the stream ends before a frame. Packets skipped on the way are
  // appended to `skipped`.
  bool open(std::vector<std::string>& skipped);
  // The next frame in display order, now the decoder's current one; false at the end. Waits for
  // the thread when none is decoded yet. Messages for packets skipped since the last call are
  // appended to `skipped`. A failure of the thread (a stream that changes size, a device error)
  // is rethrown once the frames decoded before it are taken.
  bool next(DeviceVideoFrame& frame, std::vector<std::string>& skipped);
  // The current frame, through the decoder, under the lock (DeviceVideoDecoder).
  void letterbox(const LetterboxPlacement& at, const Tensor& input, int slot);
  Tensor download_bgr();
  // From any thread: next() returns false at once and the thread stops soon.
  void cancel();

  // Pictures pushed beyond the frames taken, at most, over the run so far (for tests).
  int64_t most_ahead() const;

 private:
  void produce();
  void push(const CodedPacket& p, std::vector<std::string>& skipped);

  std::unique_ptr<PacketReader> packets_;
  const PacketStreamInfo info_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unique_ptr<DeviceVideoDecoder> decoder_;  // guarded by mutex_ once the thread runs
  std::vector<std::string> skipped_;
  std::exception_ptr failure_;
  int64_t limit_ = 1;      // decoder_->max_ahead(), read once the stream's header is known
  int64_t in_flight_ = 0;  // pictures pushed and not yet taken as frames
  int64_t most_in_flight_ = 0;
  uint64_t events_ = 0;    // bumped by each push, skip and the end: next() waits on it
  bool starving_ = false;  // next() waits with nothing decoded
  bool ended_ = false, stop_ = false, cancelled_ = false;
  bool primed_ = false;  // open()'s frame is current and not yet handed out
  DeviceVideoFrame first_;
  std::thread thread_;
};

}  // namespace ys
