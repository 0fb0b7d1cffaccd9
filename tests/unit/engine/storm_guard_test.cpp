// The storm guard, user by user.
#include <gtest/gtest.h>

#include "engine/detail/storm_guard.hpp"

namespace devreset::engine::detail {
namespace {

using io::user_status;

TEST(StormGuard, TripsWhenTheFirstUsersAreAllNotFound) {
  storm_guard g(3);
  EXPECT_FALSE(g.tripped_by(user_status::not_found));
  EXPECT_FALSE(g.tripped_by(user_status::failed)) << "a failure proves nothing either way";
  EXPECT_FALSE(g.tripped_by(user_status::invalid));
  EXPECT_FALSE(g.tripped_by(user_status::not_found));
  EXPECT_TRUE(g.tripped_by(user_status::not_found));
  EXPECT_EQ(g.not_found(), 3);
}

TEST(StormGuard, OneUserThereDisarmsItForGood) {
  storm_guard g(2);
  EXPECT_FALSE(g.tripped_by(user_status::not_found));
  EXPECT_FALSE(g.tripped_by(user_status::partial)) << "the user was there: the address is right";
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(g.tripped_by(user_status::not_found));
}

TEST(StormGuard, ALimitOfZeroNeverTrips) {
  storm_guard g(0);
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(g.tripped_by(user_status::not_found));
}

}  // namespace
}  // namespace devreset::engine::detail
