// Ultralytics predict arguments that YoloScope does not implement. An Ultralytics command line
// still runs when such a key changes nothing of what is detected (a window, extra files): the key
// is ignored with a warning that says what is missing. A key that changes the detections, or
// what predict returns, is refused, so that no result silently differs from what was asked.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace ys {

enum class ForeignKeyPolicy { kIgnore, kRefuse };

struct ForeignKey {
  std::string_view key;
  ForeignKeyPolicy policy;
  std::string_view why;  // what Ultralytics does with it, and what to use here instead
};

inline constexpr std::array kForeignKeys = {
    ForeignKey{"show", ForeignKeyPolicy::kIgnore,
               "Ultralytics shows the results in a window; YoloScope has no display and saves "
               "the annotated images and videos instead (save=True, the default)"},
    ForeignKey{"save_crop", ForeignKeyPolicy::kIgnore,
               "crops of the detections are not saved; their boxes are in the label files "
               "(save_txt=True) and predictions.json (save_json=True)"},
    ForeignKey{"visualize", ForeignKeyPolicy::kIgnore,
               "feature maps are not saved; profile=True shows the time and memory of every "
               "layer"},
    ForeignKey{"retina_masks", ForeignKeyPolicy::kIgnore,
               "it applies to segmentation masks only, and YoloScope does detection"},
    ForeignKey{"stream_buffer", ForeignKeyPolicy::kIgnore,
               "YoloScope reads a stream's frames in order as fast as it detects them; "
               "vid_stride= skips frames"},
    ForeignKey{"augment", ForeignKeyPolicy::kRefuse,
               "test-time augmentation (flipped and rescaled copies of each image, merged) "
               "changes the detections, and YoloScope does not implement it; leave it out"},
    ForeignKey{"embed", ForeignKeyPolicy::kRefuse,
               "it makes predict return feature vectors instead of detections, which YoloScope "
               "does not compute"},
};

// nullptr for a key that is not in kForeignKeys.
const ForeignKey* find_foreign_key(std::string_view key);

// A value that asks for nothing (False, 0, None, '', []) passes silently: it is Ultralytics'
// default. Otherwise an ignored key logs its warning and gives "", a refused one gives the error
// message to report.
std::string check_foreign_key(const ForeignKey& key, std::string_view value);

}  // namespace ys
