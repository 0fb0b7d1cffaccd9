// Device type names, type lists and type sets.
#include <gtest/gtest.h>

#include "io/device_type.hpp"

namespace devreset::io {
namespace {

TEST(DeviceType, NamesRoundTripCaseInsensitively) {
  for (auto t : all_device_types) {
    EXPECT_EQ(parse_device_type(to_string(t)), t);
  }
  EXPECT_EQ(parse_device_type(" WebAuthn "), device_type::webauthn);
  EXPECT_FALSE(parse_device_type("totp").has_value());
  EXPECT_FALSE(parse_device_type("").has_value());
}

TEST(DeviceType, DefaultsAreTheFourTwoFactorCollections) {
  EXPECT_EQ(type_set::defaults().to_string(), "oath;push;webauthn;binding");
  EXPECT_EQ(type_set::defaults().size(), 4);
}

TEST(TypeList, AcceptsSemicolonsAndBarsAndSkipsEmptyItems) {
  type_list_error err;
  auto s = parse_type_list("oath; push|;webauthn|", err);
  ASSERT_TRUE(s.has_value()) << err.reason;
  EXPECT_EQ(*s, (type_set{device_type::oath, device_type::push, device_type::webauthn}));
  EXPECT_TRUE(parse_type_list("", err)->empty());
}

TEST(TypeList, CommasOnlyWhereAllowed) {
  type_list_error err;
  EXPECT_FALSE(parse_type_list("oath,push", err).has_value());
  EXPECT_EQ(err.reason,
            "unknown device type 'oath,push' (known: oath, push, webauthn, binding, profile, "
            "trusted)");
  auto s = parse_type_list("oath,push", err, /*allow_comma=*/true);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, (type_set{device_type::oath, device_type::push}));
}

TEST(TypeSet, MinusGivesWhatIsStillToDo) {
  type_set wanted = type_set::defaults();
  type_set done{device_type::oath, device_type::binding};
  EXPECT_EQ(wanted.minus(done).to_string(), "push;webauthn");
  EXPECT_EQ((wanted & done), done);
  EXPECT_TRUE(done.minus(wanted).empty());
}

}  // namespace
}  // namespace devreset::io
