// decoder=nvdec's decode-ahead (issue 20) on the CPU, with a packet reader and a device decoder
// played by the test: frames in order to the end, the thread running ahead of a consumer that
// takes nothing and stopping at the decoder's max_ahead(), no stall where packets give no frame,
// damaged packets listed in order, a failure mid-stream after the frames before it, a stalled
// read interrupted by cancel(), and destruction mid-stream (the ASan and TSan builds check the
// thread's ownership). How fast it is on a GPU is not measured here.
#include "pipeline/nvdec_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace ys {
namespace {

using namespace std::chrono_literals;

struct Script {
  int packets = 50;
  int damaged_packet = 0;  // the reader throws kBadInput for this packet (1-based)
  int io_error_at = 0;     // the reader throws kIo here: the input is gone
  int stall_at = 0;        // the reader blocks here until interrupt()
  int refuse_push = 0;     // the decoder refuses this push (1-based), kBadInput
  int fatal_push = 0;      // the decoder throws kUnsupported here (a size change mid-stream)
  int packets_per_frame = 1;
  int max_ahead = 3;
};

// What the fakes saw, read by the test while the thread may still run.
struct Seen {
  std::atomic<int> pushes{0};
  std::atomic<int> most_waiting{0};  // frames decoded and not taken, at a push
  std::atomic<bool> flushed{false};
  std::atomic<bool> stalled{false};
};

class FakePackets final : public PacketReader {
 public:
  FakePackets(const Script& s, Seen& seen)
      : PacketReader("fake.h264", info()), script_(s), seen_(seen) {}

  std::optional<CodedPacket> next() override {
    if (read_ >= script_.packets) return std::nullopt;
    const int n = ++read_;
    if (n == script_.stall_at) {
      std::unique_lock<std::mutex> lock(mutex_);
      seen_.stalled = true;
      woken_.wait(lock, [this] { return interrupted_; });
      return std::nullopt;
    }
    if (n == script_.damaged_packet)
      fail(ErrorKind::kBadInput, "fake.h264: packet ", n, " is torn");
    if (n == script_.io_error_at) fail(ErrorKind::kIo, "fake.h264: the disk went away");
    CodedPacket p;
    p.data = {static_cast<uint8_t>(n)};
    p.pts_us = n - 1;
    p.number = n;
    p.byte_offset = 100 * (n - 1);
    return p;
  }

  void interrupt() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      interrupted_ = true;
    }
    woken_.notify_all();
  }

 private:
  static PacketStreamInfo info() {
    PacketStreamInfo i;
    i.codec_name = "h264";
    i.width = 64;
    i.height = 48;
    i.frame_rate = 10;
    i.timestamps = false;
    return i;
  }

  Script script_;
  Seen& seen_;
  int read_ = 0;
  std::mutex mutex_;
  std::condition_variable woken_;
  bool interrupted_ = false;
};

// One frame for every packets_per_frame pushes, in push order.
class FakeDecoder final : public DeviceVideoDecoder {
 public:
  FakeDecoder(const Script& s, Seen& seen) : script_(s), seen_(seen) {}
  void push(const uint8_t*, size_t size, int64_t pts) override {
    if (size == 0) {
      seen_.flushed = true;
      return;
    }
    const int n = ++seen_.pushes;
    if (n == script_.fatal_push)
      fail(ErrorKind::kUnsupported, "NVDEC: the stream changes size mid-way (64x48 to 32x24)");
    if (n == script_.refuse_push) fail(ErrorKind::kBadInput, "NVDEC: the parser refused a packet");
    if (n % script_.packets_per_frame == 0) queued_.push_back({64, 48, pts});
    seen_.most_waiting = std::max(seen_.most_waiting.load(), static_cast<int>(queued_.size()));
  }
  bool next(DeviceVideoFrame& f) override {
    if (queued_.empty()) return false;
    f = queued_.front();
    queued_.pop_front();
    return true;
  }
  void letterbox(const LetterboxPlacement&, const Tensor&, int) override {}
  Tensor download_bgr() override { return Tensor(DType::kUInt8, {48, 64, 3}); }
  int max_ahead() const override { return script_.max_ahead; }

 private:
  Script script_;
  Seen& seen_;
  std::deque<DeviceVideoFrame> queued_;
};

std::unique_ptr<DecodeAhead> make(const Script& s, Seen& seen) {
  return std::make_unique<DecodeAhead>(std::make_unique<FakePackets>(s, seen),
                                       std::make_unique<FakeDecoder>(s, seen));
}

struct Taken {
  std::vector<int64_t> pts;
  std::vector<std::string> skipped;
};

Taken take_all(DecodeAhead& d) {
  Taken t;
  DeviceVideoFrame f;
  while (d.next(f, t.skipped)) t.pts.push_back(f.pts);
  return t;
}

// Waits (at most 10 s) for the thread to reach a state; the test fails rather than hangs.
template <typename Pred>
bool eventually(Pred pred) {
  for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(1ms))
    if (pred()) return true;
  return pred();
}

TEST(DecodeAhead, EveryFrameInOrderThenTheEnd) {
  Seen seen;
  Script s;
  auto d = make(s, seen);
  std::vector<std::string> skipped;
  ASSERT_TRUE(d->open(skipped));
  EXPECT_TRUE(skipped.empty());
  const Taken t = take_all(*d);
  ASSERT_EQ(t.pts.size(), 50u);
  for (size_t i = 0; i < t.pts.size(); ++i) EXPECT_EQ(t.pts[i], static_cast<int64_t>(i));
  EXPECT_TRUE(seen.flushed);
  EXPECT_LE(d->most_ahead(), s.max_ahead);
  DeviceVideoFrame f;
  EXPECT_FALSE(d->next(f, skipped)) << "the end stays the end";
}

TEST(DecodeAhead, RunsAheadOfAConsumerThatTakesNothingAndStopsAtTheDecodersLimit) {
  Seen seen;
  Script s;
  s.max_ahead = 4;
  auto d = make(s, seen);
  std::vector<std::string> skipped;
  ASSERT_TRUE(d->open(skipped));
  // open() pushed one packet and holds its frame; the thread pushes 4 more on its own.
  EXPECT_TRUE(eventually([&] { return seen.pushes.load() >= 1 + s.max_ahead; }))
      << "pushes: " << seen.pushes.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(seen.pushes.load(), 1 + s.max_ahead) << "no further than the spare surfaces allow";
  EXPECT_EQ(d->most_ahead(), s.max_ahead);
  EXPECT_EQ(take_all(*d).pts.size(), 50u);
  EXPECT_LE(seen.most_waiting.load(), s.max_ahead);
}

// Packets that give no frame (two per frame here, as fields would) leave the count of pictures
// ahead above the frames that can come: a consumer waiting with nothing decoded gets one more.
TEST(DecodeAhead, PacketsWithoutAFrameDoNotStallIt) {
  Seen seen;
  Script s;
  s.packets_per_frame = 2;
  s.max_ahead = 1;
  auto d = make(s, seen);
  std::vector<std::string> skipped;
  ASSERT_TRUE(d->open(skipped));
  const Taken t = take_all(*d);
  EXPECT_EQ(t.pts.size(), 25u);
  EXPECT_EQ(seen.pushes.load(), 50);
}

TEST(DecodeAhead, DamagedAndRefusedPacketsAreListedAndSkipped) {
  Seen seen;
  Script s;
  s.damaged_packet = 5;
  s.refuse_push = 9;
  auto d = make(s, seen);
  std::vector<std::string> skipped;
  ASSERT_TRUE(d->open(skipped));
  const Taken t = take_all(*d);
  EXPECT_EQ(t.pts.size(), 48u);
  // The refused push is the 9th that reached the decoder: packet 10, its data at byte 900.
  EXPECT_EQ(t.skipped, (std::vector<std::string>{
                           "fake.h264: packet 5 is torn",
                           "fake.h264: access unit 10 (byte 900): NVDEC: the parser refused a "
                           "packet"}));
}

TEST(DecodeAhead, AFailureMidStreamComesAfterTheFramesBeforeIt) {
  for (const bool in_decoder : {true, false}) {
    SCOPED_TRACE(in_decoder ? "the decoder fails" : "the reader fails");
    Seen seen;
    Script s;
    (in_decoder ? s.fatal_push : s.io_error_at) = 20;
    auto d = make(s, seen);
    std::vector<std::string> skipped;
    ASSERT_TRUE(d->open(skipped));
    std::vector<int64_t> pts;
    DeviceVideoFrame f;
    try {
      while (d->next(f, skipped)) pts.push_back(f.pts);
      FAIL() << "the failure was lost";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), in_decoder ? ErrorKind::kUnsupported : ErrorKind::kIo);
      EXPECT_STREQ(e.what(), in_decoder ? "NVDEC: the stream changes size mid-way (64x48 to 32x24)"
                                        : "fake.h264: the disk went away");
    }
    EXPECT_EQ(pts.size(), 19u);
    EXPECT_FALSE(d->next(f, skipped)) << "said once, then the end";
  }
}

TEST(DecodeAhead, CancelWakesAConsumerWaitingOnAStalledRead) {
  Seen seen;
  Script s;
  s.stall_at = 6;
  auto d = make(s, seen);
  std::vector<std::string> skipped;
  ASSERT_TRUE(d->open(skipped));
  std::atomic<int> frames{0};
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    DeviceVideoFrame f;
    std::vector<std::string> sk;
    while (d->next(f, sk)) ++frames;
    done = true;
  });
  EXPECT_TRUE(eventually([&] { return seen.stalled.load() && frames.load() == 5; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(done.load()) << "the consumer waits for the stalled read";
  d->cancel();
  EXPECT_TRUE(eventually([&] { return done.load(); }));
  consumer.join();
  EXPECT_EQ(frames.load(), 5);
  EXPECT_FALSE(seen.flushed) << "an interrupted read is not the end of the stream";
}

TEST(DecodeAhead, DestroyedMidStreamOrMidStallItStopsItsThread) {
  for (const int stall : {0, 3}) {
    Seen seen;
    Script s;
    s.packets = 1000;
    s.stall_at = stall;
    auto d = make(s, seen);
    std::vector<std::string> skipped;
    ASSERT_TRUE(d->open(skipped));
    DeviceVideoFrame f;
    EXPECT_TRUE(d->next(f, skipped));
    EXPECT_TRUE(d->next(f, skipped));
    if (stall) {
      EXPECT_TRUE(eventually([&] { return seen.stalled.load(); }));
    }
    d.reset();  // joins: a thread still pushing, or blocked in the read, stops
    EXPECT_LT(seen.pushes.load(), 1000);
  }
}

TEST(DecodeAhead, AStreamWithoutFramesOrRefusedAtItsHeader) {
  Seen seen;
  Script empty;
  empty.packets = 0;
  auto d = make(empty, seen);
  std::vector<std::string> skipped;
  EXPECT_FALSE(d->open(skipped));
  DeviceVideoFrame f;
  EXPECT_FALSE(d->next(f, skipped));
  EXPECT_TRUE(seen.flushed);

  Seen seen2;
  Script refused;
  refused.fatal_push = 1;
  auto r = make(refused, seen2);
  EXPECT_THROW(r->open(skipped), Error);
}

}  // namespace
}  // namespace ys
