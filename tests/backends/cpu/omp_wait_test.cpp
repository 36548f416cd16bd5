// The restart that gives libgomp short spin-waits (omp_wait.h): which environment it uses.
#include "backends/cpu/omp_wait.h"

#include <gtest/gtest.h>

namespace ys::cpu {
namespace {

TEST(OmpWait, AddsAShortSpinCountToTheEnvironment) {
  const char* env[] = {"PATH=/usr/bin", "HOME=/root", nullptr};
  const std::vector<std::string> expected = {"PATH=/usr/bin", "HOME=/root", kShortSpinCount};
  EXPECT_EQ(short_spin_environment(env), expected);
}

TEST(OmpWait, LeavesTheUsersWaitPolicyAlone) {
  const char* policy[] = {"PATH=/usr/bin", "OMP_WAIT_POLICY=active", nullptr};
  EXPECT_TRUE(short_spin_environment(policy).empty());
  const char* spins[] = {"GOMP_SPINCOUNT=300000", "PATH=/usr/bin", nullptr};
  EXPECT_TRUE(short_spin_environment(spins).empty());
}

TEST(OmpWait, RestartsOnlyOnce) {
  // After the restart the variable is there, so the restarted program goes on.
  const char* env[] = {"PATH=/usr/bin", nullptr};
  std::vector<const char*> restarted;
  std::vector<std::string> first = short_spin_environment(env);
  for (const std::string& e : first) restarted.push_back(e.c_str());
  restarted.push_back(nullptr);
  EXPECT_TRUE(short_spin_environment(restarted.data()).empty());
}

TEST(OmpWait, NamesThatOnlyStartAlikeDoNotCount) {
  const char* env[] = {"OMP_WAIT_POLICY_X=1", "MY_GOMP_SPINCOUNT=5", nullptr};
  const std::vector<std::string> expected = {"OMP_WAIT_POLICY_X=1", "MY_GOMP_SPINCOUNT=5",
                                             kShortSpinCount};
  EXPECT_EQ(short_spin_environment(env), expected);
}

TEST(OmpWait, AnEmptyEnvironmentGetsTheSpinCountAlone) {
  const char* env[] = {nullptr};
  EXPECT_EQ(short_spin_environment(env), std::vector<std::string>{kShortSpinCount});
  EXPECT_EQ(short_spin_environment(nullptr), std::vector<std::string>{kShortSpinCount});
}

}  // namespace
}  // namespace ys::cpu
