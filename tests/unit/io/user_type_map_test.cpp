// The compact (realm, user) → types map behind the resume index and de-duplication.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "io/user_type_map.hpp"

namespace devreset::io {
namespace {

TEST(UserTypeMap, AddReturnsOnlyTheNewTypes) {
  user_type_map m;
  const std::string_view realm = "/realms/root/realms/alpha";
  EXPECT_EQ(m.add(realm, "u1", {device_type::oath}), type_set{device_type::oath});
  EXPECT_EQ(m.add(realm, "u1", {device_type::oath}), type_set{});
  EXPECT_EQ(m.add(realm, "u1", {device_type::oath, device_type::push}),
            type_set{device_type::push});
  EXPECT_EQ(m.get(realm, "u1"), (type_set{device_type::oath, device_type::push}));
  EXPECT_EQ(m.size(), 1u);
}

TEST(UserTypeMap, SameIdInAnotherRealmIsAnotherUser) {
  user_type_map m;
  m.add("/realms/root/realms/alpha", "u1", {device_type::oath});
  EXPECT_TRUE(m.get("/realms/root/realms/bravo", "u1").empty());
  EXPECT_TRUE(m.get("/realms/root/realms/alpha", "u2").empty());
}

TEST(UserTypeMap, HoldsManyUsersInAFewBytesEach) {
  user_type_map m;
  constexpr int n = 200000;
  for (int i = 0; i < n; ++i) {
    std::string id = "user-";
    id += std::to_string(i);
    m.add("/realms/root", id, type_set{device_type::oath});
  }
  ASSERT_EQ(m.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; i += 997) {
    EXPECT_EQ(m.get("/realms/root", fmt::format("user-{}", i)), type_set{device_type::oath});
  }
  EXPECT_TRUE(m.get("/realms/root", fmt::format("user-{}", n)).empty());
  EXPECT_LE(m.memory_bytes() / n, 24u);
}

TEST(UserTypeMap, ReserveSizesTheTableOnceForThatManyUsers) {
  user_type_map m;
  m.reserve(100000);
  auto bytes = m.memory_bytes();
  EXPECT_GE(bytes, 100000u * 9 * 4 / 3);
  for (int i = 0; i < 100000; ++i)
    m.add("/realms/root", fmt::format("u{}", i), {device_type::push});
  EXPECT_EQ(m.memory_bytes(), bytes) << "no growth while the reserved users came in";
  EXPECT_EQ(m.get("/realms/root", "u99999"), type_set{device_type::push});
}

TEST(UserTypeMap, NoInputCanAimAtAnotherUsersKey) {
  // `zz6507werT8|achl` and `user000042` have the same unkeyed boost::hash (issue 30: the key
  // this map used): with the process's SipHash key they are two users, as ids and as names.
  const std::string_view realm = "/realms/root/realms/alpha";
  user_type_map m;
  EXPECT_EQ(m.add(realm, "zz6507werT8|achl", {device_type::oath}), type_set{device_type::oath});
  EXPECT_TRUE(m.get(realm, "user000042").empty());
  EXPECT_EQ(m.add(realm, "user000042", {device_type::oath}), type_set{device_type::oath});
  EXPECT_EQ(m.size(), 2u);
  for (auto kind : {id_kind::user_name, id_kind::mail}) {
    EXPECT_NE(user_type_map::key(realm, kind, "", "zz6507werT8|achl"),
              user_type_map::key(realm, kind, "", "user000042"));
  }
}

TEST(UserTypeMap, AKeyTellsTheRealmTheKindAndTheIdentifierApart) {
  // Fields are hashed with their lengths: moving bytes from one field to the next is
  // another user; an id is never the name it spells.
  using m = user_type_map;
  EXPECT_NE(m::key("/realms/root/realms/a", "lpha"), m::key("/realms/root/realms/al", "pha"));
  EXPECT_NE(m::key("/r", id_kind::user_id, "alice", ""),
            m::key("/r", id_kind::user_name, "", "alice"));
  EXPECT_NE(m::key("/r", id_kind::mail, "", "a@x"), m::key("/r", id_kind::user_name, "", "a@x"));
  EXPECT_EQ(m::key("/r", id_kind::user_id, "alice", "ignored"), m::key("/r", "alice"));
}

}  // namespace
}  // namespace devreset::io
