// Secret files: read only when nobody else can read or change them, through links only
// when nobody else can change the links (a Kubernetes Secret volume's layout).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "io/secret_file.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::io {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}

std::string problem(const fs::path& p) {
  try {
    read_secret_file(p, 1024, "key file");
    return {};
  } catch (const secret_file_error& e) {
    return e.what();
  }
}

TEST(SecretFile, OnlyWhatNobodyElseCanReadOrChange) {
  test::temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  write(dir.path() / "mine", "k", 0600);
  EXPECT_EQ(read_secret_file(dir.path() / "mine", 1024, "key file"), "k");
  write(dir.path() / "readable", "k", 0644);
  EXPECT_NE(problem(dir.path() / "readable").find("others can read or change it (mode 644)"),
            std::string::npos);
  write(dir.path() / "group-writable", "k", 0620);
  EXPECT_NE(problem(dir.path() / "group-writable").find("others can change it"), std::string::npos);
  // A group's read bit only on root's file read by another user (a Kubernetes Secret: the
  // CLI test Cli.Unattended.k8s_cronjob_as_written reads one as the pod's user); never on
  // one's own file.
  write(dir.path() / "group-readable", "k", 0440);
  EXPECT_NE(problem(dir.path() / "group-readable").find("(mode 440)"), std::string::npos);
  write(dir.path() / "big", std::string(2000, 'x'), 0600);
  EXPECT_NE(problem(dir.path() / "big").find("larger than 1024 bytes"), std::string::npos);
}

TEST(SecretFile, AKubernetesSecretVolumesLinksAreFollowed) {
  // /run/secrets/x/sa.jwk.json -> ..data/sa.jwk.json, ..data -> ..2026_11_29_..., the
  // volume's root sticky and writable by all, as the kubelet makes it.
  test::temp_dir dir;
  const auto vol = dir.path() / "secret";
  fs::create_directories(vol / "..2026_11_29_02_30_00.1");
  ::chmod(vol.c_str(), 01777);
  write(vol / "..2026_11_29_02_30_00.1" / "sa.jwk.json", "key", 0400);
  fs::create_directory_symlink("..2026_11_29_02_30_00.1", vol / "..data");
  fs::create_symlink("..data/sa.jwk.json", vol / "sa.jwk.json");
  EXPECT_EQ(problem(vol / "sa.jwk.json"), "");
}

TEST(SecretFile, ALinkOthersCouldReplaceIsRefused) {
  test::temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  write(dir.path() / "key", "k", 0600);
  const auto open_dir = dir.path() / "open";
  fs::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);  // anyone may replace the link: not sticky
  fs::create_symlink(dir.path() / "key", open_dir / "key");
  EXPECT_NE(problem(open_dir / "key")
                .find("in the folder " + open_dir.string() +
                      ", which is others can change it (mode 777)"),
            std::string::npos)
      << problem(open_dir / "key");
  // A link of someone else's is refused even in a folder of ours (the owner is all a link has).
  fs::create_directory(dir.path() / "mine");
  fs::create_symlink(dir.path() / "key", dir.path() / "mine" / "theirs");
  ASSERT_EQ(::lchown((dir.path() / "mine" / "theirs").c_str(), 12345, 12345), 0);
  EXPECT_NE(problem(dir.path() / "mine" / "theirs").find("through the link"), std::string::npos)
      << problem(dir.path() / "mine" / "theirs");
  // A file in a folder others can write is refused too: they could replace it.
  write(open_dir / "plain", "k", 0600);
  EXPECT_NE(problem(open_dir / "plain").find("in the folder"), std::string::npos);
  // So is a safe folder's link to it: the folders on the way the link leads count too.
  fs::create_symlink(open_dir / "plain", dir.path() / "mine" / "via");
  EXPECT_NE(problem(dir.path() / "mine" / "via").find("in the folder " + open_dir.string()),
            std::string::npos)
      << problem(dir.path() / "mine" / "via");
}

TEST(SecretFile, EveryLinkOnTheWayIsCheckedWhereItLies) {
  // key.json -> ../ww/link.json -> ../safe/sa.jwk.json, ww/ writable by all (issue 30): the
  // link in the middle could be replaced by anyone, though the first and last folders are safe.
  test::temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  for (const char* d : {"safe", "ww", "mine"})
    fs::create_directory(dir.path() / d);
  ::chmod((dir.path() / "ww").c_str(), 0777);
  write(dir.path() / "safe" / "sa.jwk.json", "k", 0600);
  fs::create_symlink("../safe/sa.jwk.json", dir.path() / "ww" / "link.json");
  fs::create_symlink("../ww/link.json", dir.path() / "mine" / "key.json");
  const auto why = problem(dir.path() / "mine" / "key.json");
  EXPECT_NE(why.find("in the folder " + (dir.path() / "ww").string() +
                     ", which is others can change it (mode 777)"),
            std::string::npos)
      << why;
  // The same chain with ww/ safe again is read.
  ::chmod((dir.path() / "ww").c_str(), 0755);
  EXPECT_EQ(problem(dir.path() / "mine" / "key.json"), "");
  // A folder link in the middle: mine/d -> ../ww/d2 -> ../safe.
  ::chmod((dir.path() / "ww").c_str(), 0777);
  fs::create_directory_symlink("../safe", dir.path() / "ww" / "d2");
  fs::create_directory_symlink("../ww/d2", dir.path() / "mine" / "d");
  EXPECT_NE(problem(dir.path() / "mine" / "d" / "sa.jwk.json").find("in the folder"),
            std::string::npos);
}

TEST(SecretFile, AKeyOthersMayReadIsRefusedWhateverItsGroupBits) {
  // 0604: no group bit at all, others may read (the "others" bit alone must refuse it).
  test::temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  write(dir.path() / "k", "k", 0604);
  EXPECT_NE(problem(dir.path() / "k").find("others can read or change it (mode 604)"),
            std::string::npos)
      << problem(dir.path() / "k");
}

// Config files and plans (read, not secret): refused when anyone but us or root could change
// them, by their mode or because they own them (an owner can chmod at will).
TEST(SecretFile, OthersCanChangeByModeOrByOwningTheFile) {
  test::temp_dir dir;
  write(dir.path() / "ours", "x", 0644);
  EXPECT_EQ(others_can_change(dir.path() / "ours"), std::nullopt) << "others may read it";
  write(dir.path() / "group-writable", "x", 0664);
  EXPECT_NE(others_can_change(dir.path() / "group-writable"), std::nullopt);
  write(dir.path() / "theirs", "x", 0644);
  ASSERT_EQ(::chown((dir.path() / "theirs").c_str(), 12345, 12345), 0);
  auto why = others_can_change(dir.path() / "theirs");
  ASSERT_NE(why, std::nullopt) << "its owner can change it";
  EXPECT_NE(why->find("owner uid 12345"), std::string::npos) << *why;
}

}  // namespace
}  // namespace devreset::io
