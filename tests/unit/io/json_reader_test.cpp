// JSON array and JSON Lines input: objects and strings, types as arrays or strings,
// malformed elements as invalid rows with their lines, syntax errors that end the read.
#include <gtest/gtest.h>

#include "io/job_reader.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::io {
namespace {

using test::as_invalid;
using test::as_job;
using test::read_all;

TEST(JsonReader, ReadsArrayOfObjectsWithLineNumbers) {
  auto rows = read_all(R"([
  {"user_id": "u1", "types": ["oath", "push"], "realm": "alpha"},
  {"_id": "u2", "types": "webauthn|binding"},
  {
    "id": "u3"
  }
])",
                       input_format::json);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_job(rows[0]).line, 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_EQ(as_job(rows[0]).types, (type_set{device_type::oath, device_type::push}));
  EXPECT_EQ(as_job(rows[0]).realm, "/realms/root/realms/alpha");
  EXPECT_EQ(as_job(rows[1]).types, (type_set{device_type::webauthn, device_type::binding}));
  EXPECT_EQ(as_job(rows[1]).realm, "/realms/root");
  EXPECT_EQ(as_job(rows[2]).line, 4u);
  EXPECT_EQ(as_job(rows[2]).types, type_set::defaults());
}

TEST(JsonReader, NamesUsersByUserNameOrMail) {
  auto rows = read_all(
      R"({"user_name":"alice","types":["oath"]}
{"email":"bob@example.com"}
{"mail":"x@example.com","user_id":"u1"}
{"userName":7}
)",
      input_format::jsonl);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(as_job(rows[0]).kind, id_kind::user_name);
  EXPECT_EQ(as_job(rows[0]).name, "alice");
  EXPECT_EQ(as_job(rows[1]).kind, id_kind::mail);
  EXPECT_EQ(as_job(rows[2]).user_id, "u1") << "user_id first, the mail kept beside it";
  EXPECT_EQ(as_job(rows[2]).given[2], "x@example.com");
  EXPECT_EQ(as_invalid(rows[3]).reason, "'userName' is a number: it must be a string");
}

TEST(JsonReader, ReadsArrayOfIdStrings) {
  auto rows = read_all("\xEF\xBB\xBF[\"u1\",\"u,2\",\"u\\\"3\"]", input_format::json);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_EQ(as_job(rows[1]).user_id, "u,2");
  EXPECT_EQ(as_job(rows[2]).user_id, "u\"3");
}

TEST(JsonReader, BadElementIsOneInvalidRowAndTheReadGoesOn) {
  auto rows = read_all(
      "[\n\"u1\",\n{\"id\": 42},\n{\"id\": \"u3\", \"type\": \"oath\"},\n"
      "{\"id\": \"u4\", \"types\": [\"oath\", 7]},\n17,\n\"u6\"\n]\n",
      input_format::json);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_EQ(as_invalid(rows[1]).line, 3u);
  EXPECT_EQ(as_invalid(rows[1]).reason, "'id' is a number: it must be a string");
  EXPECT_EQ(as_invalid(rows[2]).reason, "unknown key 'type': did you mean 'types'?");
  EXPECT_EQ(as_invalid(rows[3]).user_id, "u4");
  EXPECT_EQ(as_invalid(rows[3]).reason, "'types' holds a number: expected type names");
  EXPECT_EQ(as_invalid(rows[4]).reason, "expected a user id string or an object, found a number");
  EXPECT_EQ(as_job(rows[5]).user_id, "u6");
  EXPECT_EQ(as_job(rows[5]).line, 7u);
}

TEST(JsonReader, KeysThatNameNothingAreIgnoredAsCsvColumnsAre) {
  // Issue 32: an export's extra keys ("givenName") made every row invalid; a CSV ignores
  // such columns. Ignored, named once; a near miss ("emial") is still refused.
  auto reader = make_job_reader(
      std::make_unique<std::istringstream>(
          R"([{"_id":"u1","givenName":"Ann","sn":"A"},{"_id":"u2","givenName":"Bo"},{"emial":"x@y"}])"),
      input_format::json, reader_options{}, "in.json");
  auto r1 = reader->next(), r2 = reader->next(), r3 = reader->next();
  EXPECT_EQ(as_job(*r1).user_id, "u1");
  EXPECT_EQ(as_job(*r2).user_id, "u2");
  EXPECT_EQ(as_invalid(*r3).reason, "unknown key 'emial': did you mean 'mail'?");
  EXPECT_EQ(reader->ignored_columns(), (std::vector<std::string>{"givenName", "sn"}));
}

TEST(JsonReader, MalformedElementIsAnInvalidRowWithItsLine) {
  auto rows = read_all("[\"u1\",\n{\"id\": \"u2\" \"types\": 1},\n\"u3\"]", input_format::json);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_invalid(rows[1]).line, 2u);
  EXPECT_EQ(as_invalid(rows[1]).reason.rfind("malformed JSON: ", 0), 0u);
  EXPECT_EQ(as_job(rows[2]).user_id, "u3");
}

TEST(JsonReader, TrailingAndDoubleCommasAreInvalidRows) {
  auto rows = read_all("[\"u1\",,\"u2\",]", input_format::json);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(as_invalid(rows[1]).reason, "an empty array element (two commas in a row)");
  EXPECT_EQ(as_job(rows[2]).user_id, "u2");
  EXPECT_EQ(as_invalid(rows[3]).reason, "a comma before the closing ']'");
}

TEST(JsonReader, UnclosedArrayEndsWithAFatalRow) {
  auto rows = read_all("[\"u1\",\n\"u2\"", input_format::json);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  const auto& bad = as_invalid(rows[1]);
  EXPECT_TRUE(bad.fatal);
  EXPECT_EQ(bad.line, 2u);
  EXPECT_EQ(bad.reason, "unexpected end of the file: the JSON array is not closed with ']'");
}

TEST(JsonReader, TextAfterTheArrayIsReported) {
  auto rows = read_all("[\"u1\"]\n[\"u2\"]\n", input_format::json);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_TRUE(as_invalid(rows[1]).fatal);
  EXPECT_EQ(as_invalid(rows[1]).line, 2u);
}

TEST(JsonReader, NotAnArrayIsAFileError) {
  try {
    read_all("{\"id\": \"u1\"}", input_format::json);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(),
                 "input:1: expected a JSON array ('[') of user ids or objects, found '{'");
  }
}

// Found by fuzz_json: the byte found was printed raw, so the message was not UTF-8.
TEST(JsonReader, NotAnArrayErrorShowsABinaryByteEscaped) {
  try {
    read_all("\xd9\xd9[", input_format::json);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(),
                 "input:1: expected a JSON array ('[') of user ids or objects, found '\\xD9'");
  }
}

TEST(JsonReader, EmptyArrayHasNoRows) {
  EXPECT_TRUE(read_all("  [ ]  \n", input_format::json).empty());
}

TEST(JsonReader, DeeplyNestedElementIsRejectedNotACrash) {
  std::string deep = "[" + std::string(10000, '[') + std::string(10000, ']') + ",\"u2\"]";
  auto rows = read_all(deep, input_format::json);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[0]).reason.rfind("malformed JSON: ", 0), 0u);
  EXPECT_EQ(as_job(rows[1]).user_id, "u2");
}

TEST(JsonReader, ControlCharactersInIdsAreRejectedAfterUnescaping) {
  auto rows = read_all(R"(["a\u0000b", "a\nb", "ok"])", input_format::json);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_invalid(rows[0]).reason,
            "user id contains a control character (byte 0x00 at position 2)");
  EXPECT_EQ(as_invalid(rows[1]).reason,
            "user id contains a control character (byte 0x0A at position 2)");
  EXPECT_EQ(as_job(rows[2]).user_id, "ok");
}

TEST(JsonReader, BothIdKeysIsAmbiguousAndRejected) {
  auto rows = read_all(R"([{"id": "a", "user_id": "b"}])", input_format::json);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "both 'id' and 'user_id' given: which is it?");
}

TEST(JsonLinesReader, ReadsObjectsAndStringsSkippingBlankLines) {
  auto rows = read_all(
      "{\"user_id\":\"u1\",\"types\":[\"trusted\",\"profile\"],\"realm\":\"/realms/root/realms/"
      "alpha\"}\r\n\n   \n\"u2\"\n{\"id\":\"u3\",\"types\":null,\"realm\":null}",
      input_format::jsonl);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_job(rows[0]).types, (type_set{device_type::trusted, device_type::profile}));
  EXPECT_EQ(as_job(rows[0]).realm, "/realms/root/realms/alpha");
  EXPECT_EQ(as_job(rows[1]).user_id, "u2");
  EXPECT_EQ(as_job(rows[1]).line, 4u);
  EXPECT_EQ(as_job(rows[2]).line, 5u);
  EXPECT_EQ(as_job(rows[2]).types, type_set::defaults());
}

TEST(JsonLinesReader, MalformedLineIsAnInvalidRowAndTheReadGoesOn) {
  auto rows = read_all("\"u1\"\n{\"id\": \"u2\"\n\"u3\"\n[1,2]\n", input_format::jsonl);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(as_invalid(rows[1]).line, 2u);
  EXPECT_EQ(as_invalid(rows[1]).reason.rfind("malformed JSON: ", 0), 0u);
  EXPECT_FALSE(as_invalid(rows[1]).fatal);
  EXPECT_EQ(as_job(rows[2]).user_id, "u3");
  EXPECT_EQ(as_invalid(rows[3]).reason, "expected a user id string or an object, found an array");
}

TEST(JsonLinesReader, OverLongLineIsInvalidAndNotBuffered) {
  reader_options o;
  o.max_row_bytes = 64;
  auto rows = read_all("\"" + std::string(100000, 'x') + "\"\n\"u2\"\n", input_format::jsonl, o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "line longer than 64 bytes");
  EXPECT_EQ(as_job(rows[1]).line, 2u);
}

TEST(InputFormat, ChosenByExtensionOrByName) {
  EXPECT_EQ(format_from_extension("users.csv"), input_format::csv);
  EXPECT_EQ(format_from_extension("ids.TXT"), input_format::csv);
  EXPECT_EQ(format_from_extension("users.json"), input_format::json);
  EXPECT_EQ(format_from_extension("users.jsonl"), input_format::jsonl);
  EXPECT_EQ(format_from_extension("users.ndjson"), input_format::jsonl);
  EXPECT_THROW(format_from_extension("users.xlsx"), input_error);
  EXPECT_EQ(parse_input_format("JSONL"), input_format::jsonl);
  EXPECT_FALSE(parse_input_format("xml").has_value());
}

TEST(InputFormat, OpenNamesTheFileWhenItIsMissingOrADirectory) {
  test::temp_dir dir;
  try {
    open_job_reader(dir / "missing.csv", std::nullopt);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv: cannot open the input"), std::string::npos)
        << e.what();
  }
  std::filesystem::create_directory(dir / "d.csv");
  try {
    open_job_reader(dir / "d.csv", std::nullopt);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("d.csv: is a directory"), std::string::npos) << e.what();
  }
}

TEST(InputFormat, ASpreadsheetIsToldToBeSavedAsCsv) {
  test::temp_dir dir;
  test::write_file(dir / "users.xlsx", "anything");
  test::write_file(dir / "renamed.csv",
                   "PK\x03\x04"
                   "rest of a zip");
  test::write_file(dir / "old.csv", "\xD0\xCF\x11\xE0\xA1\xB1");
  for (const char* f : {"users.xlsx", "renamed.csv", "old.csv"}) {
    try {
      open_job_reader(dir / f, std::nullopt);
      ADD_FAILURE() << f << " was read";
    } catch (const input_error& e) {
      EXPECT_NE(std::string(e.what()).find(
                    "is a spreadsheet, not a list of users: save it as CSV (UTF-8)"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(InputFormat, ExplicitFormatOverridesTheExtension) {
  test::temp_dir dir;
  test::write_file(dir / "users.dat", "\"u1\"\n\"u2\"\n");
  auto reader = open_job_reader(dir / "users.dat", input_format::jsonl);
  int n = 0;
  while (auto row = reader->next())
    n += std::holds_alternative<job>(*row) ? 1 : 0;
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace devreset::io
