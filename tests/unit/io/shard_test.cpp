// Shards: the written-down hash (FNV-1a 64 over realm, newline, identifier), names compared
// as IDM compares them, every row in exactly one shard, a fatal row in all of them.
#include <gtest/gtest.h>

#include "io/shard.hpp"

namespace devreset::io {
namespace {

const std::string alpha = "/realms/root/realms/alpha";

TEST(Shard, ParsesKOfNAndRefusesTheRest) {
  std::string error;
  auto s = parse_shard("2/4", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 4u);
  EXPECT_EQ(s->to_string(), "2/4");
  for (const char* bad : {"4/4", "0/0", "-1/4", "a/b", "1/100001", "1", "1/4/2", ""}) {
    error.clear();
    EXPECT_FALSE(parse_shard(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  // An operator counting from 1 hears that K counts from 0, and which shards there are.
  error.clear();
  EXPECT_FALSE(parse_shard("3/3", error));
  EXPECT_EQ(error, "3/3: K counts from 0: the shards of 3 are 0/3, 1/3, 2/3");
}

// The values a script in another language computes from the documented rule (Python:
// h ^= byte; h = h * 1099511628211 mod 2^64, from 14695981039346656037).
TEST(Shard, TheHashIsTheDocumentedFnv1aOverRealmNewlineIdentifier) {
  EXPECT_EQ(shard_hash(alpha, id_kind::mail, "alice@example.com"), 12598433769804189392ull);
  EXPECT_EQ(shard_hash(alpha, id_kind::user_id, "9a1b0c2d-0000-4000-8000-000000000001"),
            4839290230456504214ull);
}

TEST(Shard, NamesAndMailsIgnoreCaseAsIdmDoesButIdsDoNot) {
  EXPECT_EQ(shard_hash(alpha, id_kind::mail, "Alice@Example.COM"),
            shard_hash(alpha, id_kind::mail, "alice@example.com"));
  EXPECT_EQ(shard_hash(alpha, id_kind::user_name, "BJensen"),
            shard_hash(alpha, id_kind::user_name, "bjensen"));
  EXPECT_NE(shard_hash(alpha, id_kind::user_id, "ABC"), shard_hash(alpha, id_kind::user_id, "abc"));
  EXPECT_NE(shard_hash(alpha, id_kind::mail, "alice@example.com"),
            shard_hash("/realms/root/realms/beta", id_kind::mail, "alice@example.com"))
      << "the same name in two realms is two users";
}

TEST(Shard, EveryRowIsInExactlyOneShardAndAFatalRowInAll) {
  std::vector<shard> shards;
  for (std::uint32_t k = 0; k < 4; ++k)
    shards.push_back(shard{k, 4});
  auto owners = [&](const input_row& row) {
    int n = 0;
    for (const auto& s : shards)
      n += in_shard(s, row);
    return n;
  };
  for (int i = 0; i < 200; ++i) {
    job j;
    j.realm = alpha;
    j.kind = i % 2 ? id_kind::user_name : id_kind::user_id;
    (j.kind == id_kind::user_id ? j.user_id : j.name) = "user-" + std::to_string(i);
    EXPECT_EQ(owners(j), 1) << i;
  }
  invalid_row bad;
  bad.user_id = "a b";
  bad.reason = "user id contains a space";
  EXPECT_EQ(owners(bad), 1) << "an invalid row: one shard records it";
  bad.fatal = true;
  EXPECT_EQ(owners(bad), 4) << "the input ends here: every shard stops";
  EXPECT_TRUE(in_shard(shard{}, bad)) << "no sharding: every row";
}

}  // namespace
}  // namespace devreset::io
