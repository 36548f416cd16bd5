#include "python/input_source.h"

#include "core/error.h"

namespace ys {
namespace {

class InputListSource : public Source {
 public:
  explicit InputListSource(std::vector<InputItem> items) : items_(std::move(items)) {
    open_current();
    // Said once, from the first source while it is open: the run's report describes its input.
    if (items_.size() == 1 && current_) {
      description_ = current_->describe();
      size_ = current_->size();
    } else {
      description_ = cat(items_.size(), " inputs");
      size_ = static_cast<int64_t>(items_.size());
      for (const auto& item : items_)
        if (!std::holds_alternative<Frame>(item)) size_ = std::nullopt;
    }
  }

  bool next(Frame& frame) override {
    while (pos_ < items_.size()) {
      if (Frame* array_frame = std::get_if<Frame>(&items_[pos_])) {
        frame = *array_frame;
        advance();
        return true;
      }
      if (current_ && current_->next(frame)) {
        relay_errors(*current_, relayed_);
        return true;
      }
      if (current_) relay_errors(*current_, relayed_);
      advance();
    }
    return false;
  }

  std::string describe() const override { return description_; }
  std::optional<int64_t> size() const override { return size_; }

 private:
  void advance() {
    ++pos_;
    current_.reset();
    open_current();
  }

  void open_current() {
    relayed_ = 0;
    if (pos_ < items_.size())
      if (const SourceSpec* spec = std::get_if<SourceSpec>(&items_[pos_]))
        current_ = open_source(*spec);
  }

  std::vector<InputItem> items_;
  size_t pos_ = 0;
  std::unique_ptr<Source> current_;
  size_t relayed_ = 0;
  std::string description_;
  std::optional<int64_t> size_;
};

}  // namespace

std::unique_ptr<Source> open_input_list(std::vector<InputItem> items) {
  return std::make_unique<InputListSource>(std::move(items));
}

}  // namespace ys
