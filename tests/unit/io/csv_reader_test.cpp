// CSV input: RFC 4180 quoting, line endings, BOM, headers, and every rejection.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "io/job_reader.hpp"
#include "tests/unit/test_util.hpp"

namespace devreset::io {
namespace {

using test::as_invalid;
using test::as_job;
using test::read_all;

TEST(CsvReader, ReadsHeaderWithIdTypesAndRealm) {
  auto rows = read_all("user_id,types,realm\nu1,oath;push,alpha\nu2,webauthn|binding,/bravo\n",
                       input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  const auto& a = as_job(rows[0]);
  EXPECT_EQ(a.line, 2u);
  EXPECT_EQ(a.user_id, "u1");
  EXPECT_EQ(a.realm, "/realms/root/realms/alpha");
  EXPECT_EQ(a.types, (type_set{device_type::oath, device_type::push}));
  const auto& b = as_job(rows[1]);
  EXPECT_EQ(b.line, 3u);
  EXPECT_EQ(b.realm, "/realms/root/realms/bravo");
  EXPECT_EQ(b.types, (type_set{device_type::webauthn, device_type::binding}));
}

TEST(CsvReader, AcceptsIdHeaderAliasesInAnyCaseAndOrder) {
  for (std::string header : {"_id", "id", "USER_ID", " Id "}) {
    auto rows = read_all("realm," + header + "\nalpha,u1\n", input_format::csv);
    ASSERT_EQ(rows.size(), 1u) << header;
    EXPECT_EQ(as_job(rows[0]).user_id, "u1") << header;
    EXPECT_EQ(as_job(rows[0]).realm, "/realms/root/realms/alpha") << header;
  }
}

TEST(CsvReader, NamesUsersByUserNameOrMailOneIdentifierARow) {
  auto rows = read_all(
      "user_id,userName,email,types\n"
      "u1,,,oath\n"
      ",alice,,push\n"
      ",,bob@example.com,\n"
      "u2,carol,,\n"
      ",,,oath\n",
      input_format::csv);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(as_job(rows[0]).kind, id_kind::user_id);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  const auto& a = as_job(rows[1]);
  EXPECT_EQ(a.kind, id_kind::user_name);
  EXPECT_EQ(a.name, "alice");
  EXPECT_TRUE(a.user_id.empty()) << "resolved by a look-up, later";
  EXPECT_EQ(as_job(rows[2]).kind, id_kind::mail);
  EXPECT_EQ(as_job(rows[2]).name, "bob@example.com");
  // Several identifiers: user_id, else user_name, else mail; the others kept beside it.
  EXPECT_EQ(as_job(rows[3]).kind, id_kind::user_id);
  EXPECT_EQ(as_job(rows[3]).user_id, "u2");
  EXPECT_EQ(as_job(rows[3]).given[1], "carol");
  EXPECT_EQ(as_invalid(rows[4]).reason, "no user id, user name or mail");
  // A file with names only; the aliases in any case.
  rows = read_all("USERNAME\nalice\n", input_format::csv);
  EXPECT_EQ(as_job(rows[0]).kind, id_kind::user_name);
  rows = read_all("mail\n\" bob@example.com\"\n", input_format::csv);
  EXPECT_EQ(as_invalid(rows[0]).reason, "mail starts or ends with a space");
  EXPECT_EQ(as_invalid(rows[0]).kind, id_kind::mail);
}

TEST(CsvReader, SemicolonAndTabFilesAreFoundFromTheirHeader) {
  auto rows = read_all("user_id;types\nabc;oath\ndef;push;\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "abc") << "not 'user_id;types' taken for an id";
  EXPECT_EQ(as_job(rows[0]).types, type_set{device_type::oath});
  rows = read_all("user_name\trealm\nalice\talpha\n", input_format::csv);
  EXPECT_EQ(as_job(rows[0]).name, "alice");
  EXPECT_EQ(as_job(rows[0]).realm, "/realms/root/realms/alpha");
  // A one-column file of ids that happen to hold ';' stays one.
  rows = read_all("a;b\nc;d\n", input_format::csv);
  EXPECT_EQ(as_job(rows[0]).user_id, "a;b");
  // --delimiter says it outright.
  reader_options o;
  o.delimiter = ';';
  rows = read_all("id;types\nx;oath\n", input_format::csv, o);
  EXPECT_EQ(as_job(rows[0]).user_id, "x");
}

TEST(CsvReader, HeaderNamesAsPeopleWriteThemAndExtraColumnsIgnored) {
  auto rows = read_all("\xEF\xBB\xBFUser ID,Types\nu1,oath\n", input_format::csv);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  for (std::string h : {"user-id", "USERID", "UserName", "E-mail", "e_mail"}) {
    rows = read_all(h + ",types\nv,oath\n", input_format::csv);
    ASSERT_EQ(rows.size(), 1u) << h;
    EXPECT_TRUE(std::holds_alternative<job>(rows[0])) << h;
  }
  auto reader = make_job_reader(std::make_unique<std::istringstream>(
                                    "mail,user_id,department,Office Phone\nx@y,u1,sales,12\n"),
                                input_format::csv, {}, "export.csv");
  EXPECT_EQ(reader->ignored_columns(), (std::vector<std::string>{"department", "Office Phone"}));
  auto row = reader->next();
  ASSERT_TRUE(row);
  EXPECT_EQ(as_job(*row).user_id, "u1");
  EXPECT_EQ(as_job(*row).given[2], "x@y") << "the mail kept beside the id";
}

TEST(CsvReader, ANearMissOfAColumnNameIsStillAnErrorWithTheSuggestion) {
  for (auto [header, like] : {std::pair{"user_id,type", "types"},
                              {"user_id,typs", "types"},
                              {"user_id,realms", "realm"},
                              {"user,types", "user_id"},
                              {"emial", "mail"}}) {
    try {
      read_all(std::string(header) + "\nu1,oath\n", input_format::csv);
      ADD_FAILURE() << header << " was accepted";
    } catch (const input_error& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("did you mean {}?", like)),
                std::string::npos)
          << header << ": " << e.what();
    }
  }
}

TEST(CsvReader, IdColumnChoosesTheIdentifier) {
  reader_options o;
  o.id_column = id_kind::mail;
  auto rows = read_all("user_id,mail\nu1,m@x\nu2,\n", input_format::csv, o);
  EXPECT_EQ(as_job(rows[0]).kind, id_kind::mail);
  EXPECT_EQ(as_job(rows[0]).name, "m@x");
  EXPECT_EQ(as_invalid(rows[1]).reason, "no mail (the --id-column)");
}

TEST(CsvReader, MissingTypesAndRealmTakeTheDefaults) {
  reader_options o;
  o.default_realm = "/realms/root/realms/alpha";
  o.default_types = type_set{device_type::oath};
  auto rows = read_all("user_id,types,realm\nu1,,\nu2\n", input_format::csv, o);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(as_job(r).types, type_set{device_type::oath});
    EXPECT_EQ(as_job(r).realm, "/realms/root/realms/alpha");
  }
}

TEST(CsvReader, QuotedFieldsKeepCommasQuotesAndNewlines) {
  auto rows =
      read_all("user_id,types\n\"a,b\",oath\n\"say \"\"hi\"\"\",push\n\"x\ny\",oath\nlast,oath\n",
               input_format::csv);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(as_job(rows[0]).user_id, "a,b");
  EXPECT_EQ(as_job(rows[1]).user_id, "say \"hi\"");
  // The embedded newline makes the id invalid (a control character), but the record and
  // the line numbers after it stay right.
  EXPECT_EQ(as_invalid(rows[2]).line, 4u);
  EXPECT_EQ(as_invalid(rows[2]).user_id, "x\ny");
  EXPECT_EQ(as_job(rows[3]).line, 6u);
  EXPECT_EQ(as_job(rows[3]).user_id, "last");
}

TEST(CsvReader, QuotedTypesFieldMayHoldCommasOfItsOwn) {
  auto rows = read_all("user_id,types\nu1,\"oath|push\"\n", input_format::csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(as_job(rows[0]).types, (type_set{device_type::oath, device_type::push}));
}

TEST(CsvReader, HandlesCrlfAndBomAndNoFinalNewline) {
  auto rows = read_all("\xEF\xBB\xBFuser_id,realm\r\nu1,alpha\r\nu2,beta", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_EQ(as_job(rows[0]).realm, "/realms/root/realms/alpha");
  EXPECT_EQ(as_job(rows[1]).user_id, "u2");
  EXPECT_EQ(as_job(rows[1]).line, 3u);
}

TEST(CsvReader, HeaderlessSingleColumnIsAListOfIds) {
  auto rows = read_all(
      "\xEF\xBB\xBF"
      "014c54bd-6078-4639-8316-8ce0e7746fa4\r\nu2\n\nu3\n",
      input_format::csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_job(rows[0]).user_id, "014c54bd-6078-4639-8316-8ce0e7746fa4");
  EXPECT_EQ(as_job(rows[0]).line, 1u);
  EXPECT_EQ(as_job(rows[0]).types, type_set::defaults());
  EXPECT_EQ(as_job(rows[2]).user_id, "u3");
  EXPECT_EQ(as_job(rows[2]).line, 4u) << "blank lines are skipped but still counted";
}

TEST(CsvReader, TrimsBlanksAroundUnquotedFieldsOnly) {
  auto rows = read_all("user_id,types\n  u1 , oath ; push \n\" u2\",oath\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  EXPECT_EQ(as_job(rows[0]).types, (type_set{device_type::oath, device_type::push}));
  EXPECT_EQ(as_invalid(rows[1]).reason, "user id starts or ends with a space");
}

TEST(CsvReader, RejectsRowsWithTooManyColumns) {
  auto rows = read_all("user_id,types\nu1,oath,extra\nu2,push\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  const auto& bad = as_invalid(rows[0]);
  EXPECT_EQ(bad.line, 2u);
  EXPECT_EQ(bad.user_id, "u1");
  EXPECT_EQ(bad.reason, "too many columns: 3 fields, the header has 2");
  EXPECT_EQ(as_job(rows[1]).user_id, "u2");
}

TEST(CsvReader, HeaderlessRowWithACommaIsTooManyColumns) {
  auto rows = read_all("u1\nu2,u3\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[1]).line, 2u);
  EXPECT_NE(as_invalid(rows[1]).reason.find("too many columns"), std::string::npos);
}

TEST(CsvReader, RejectsEmptyAndControlCharacterAndDotIds) {
  auto rows = read_all("user_id,types\n,oath\n\"a\tb\",oath\n.,oath\n..,oath\n\"\",oath\n",
                       input_format::csv);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "empty user id");
  EXPECT_EQ(as_invalid(rows[0]).line, 2u);
  EXPECT_EQ(as_invalid(rows[1]).reason,
            "user id contains a control character (byte 0x09 at position 2)");
  EXPECT_EQ(as_invalid(rows[2]).reason, "user id '.' is not allowed (it names a path, not a user)");
  EXPECT_EQ(as_invalid(rows[3]).reason,
            "user id '..' is not allowed (it names a path, not a user)");
  EXPECT_EQ(as_invalid(rows[4]).reason, "empty user id");
  EXPECT_EQ(as_invalid(rows[4]).line, 6u);
}

TEST(CsvReader, RejectsOverLongIdsWithTheirLength) {
  std::string id(1025, 'a');
  auto rows = read_all("user_id\n" + id + "\n" + std::string(1024, 'b') + "\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "user id is 1025 bytes long (the limit is 1024)");
  EXPECT_EQ(as_job(rows[1]).user_id.size(), 1024u);
}

TEST(CsvReader, RejectsInvalidUtf8Ids) {
  auto rows = read_all("user_id\nab\xC3(\n", input_format::csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "user id is not valid UTF-8");
}

TEST(CsvReader, RejectsUnknownDeviceTypesNamingThem) {
  auto rows = read_all("user_id,types\nu1,oath;totp\n", input_format::csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(as_invalid(rows[0]).user_id, "u1");
  // The known names are TypeList's to spell out; here: the reader passes the reason on whole.
  EXPECT_EQ(as_invalid(rows[0]).reason,
            "unknown device type 'totp' (known: " + devreset::io::device_type_names() + ")");
}

TEST(CsvReader, RejectsInvalidRealmsPerRow) {
  auto rows = read_all("user_id,realm\nu1,alpha/../beta\nu2,alpha\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[0]).reason,
            "invalid realm 'alpha/../beta': '.' and '..' are not realm names");
  EXPECT_EQ(as_job(rows[1]).realm, "/realms/root/realms/alpha");
}

TEST(CsvReader, StrayQuotesAreInvalidRowsNotGuesses) {
  auto rows = read_all("user_id\nab\"c\n\"ab\"c\nok\n", input_format::csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "a quote inside an unquoted field (quote the whole field)");
  EXPECT_EQ(as_invalid(rows[1]).reason, "unexpected text after a closing quote");
  EXPECT_EQ(as_job(rows[2]).user_id, "ok");
}

TEST(CsvReader, UnterminatedQuoteIsReportedAtItsLine) {
  auto rows = read_all("user_id\nu1\n\"u2\nu3\nu4\n", input_format::csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_job(rows[0]).user_id, "u1");
  const auto& bad = as_invalid(rows[1]);
  EXPECT_EQ(bad.line, 3u);
  EXPECT_NE(bad.reason.find("unterminated quoted field (the quote opened on line 3)"),
            std::string::npos);
}

TEST(CsvReader, OverLongRowIsInvalidAndNotBuffered) {
  reader_options o;
  o.max_row_bytes = 100;
  auto rows = read_all("user_id\n" + std::string(5000, 'x') + "\nnext\n", input_format::csv, o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(as_invalid(rows[0]).reason, "row longer than 100 bytes");
  EXPECT_LE(as_invalid(rows[0]).user_id.size(), 100u);
  EXPECT_EQ(as_job(rows[1]).user_id, "next");
}

TEST(CsvReader, ATypoOfAColumnIsAFileErrorNamingIt) {
  try {
    read_all("user_id,type\nu1,oath\n", input_format::csv);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(),
                 "input:1: unknown column 'type' in the header: did you mean types? (known: "
                 "user_id, user_name, mail, types, realm; other columns are ignored)");
  }
}

TEST(CsvReader, HeaderWithoutIdColumnOrWithDuplicatesIsAFileError) {
  EXPECT_THROW(read_all("types,realm\noath,alpha\n", input_format::csv), input_error);
  EXPECT_THROW(read_all("id,user_id\na,b\n", input_format::csv), input_error);
  EXPECT_THROW(read_all("name,department\na,b\n", input_format::csv), input_error);
}

TEST(CsvReader, TabSeparatedExportsAsHrWritesThem) {
  // Issue 32: a .tsv with HR's header names; "Email Address" is the mail, "Login Name" and
  // "User Principal Name" the user name; other columns ignored.
  auto rows = read_all("Full Name\tEmail Address\nAnn A\tann@example.com\n", input_format::csv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(as_job(rows[0]).kind, id_kind::mail);
  EXPECT_EQ(as_job(rows[0]).name, "ann@example.com");
  for (std::string h : {"Login", "Login Name", "User Principal Name"}) {
    auto r = read_all(h + "\tDepartment\nann@corp.example\tSales\n", input_format::csv);
    ASSERT_EQ(r.size(), 1u) << h;
    EXPECT_EQ(as_job(r[0]).kind, id_kind::user_name) << h;
  }
  for (std::string h : {"Work Email", "E-mail Address"})
    EXPECT_EQ(as_job(read_all(h + "\nb@example.com\n", input_format::csv)[0]).kind, id_kind::mail);
  // A tab-separated header of names devreset does not know: the header error the comma
  // version gets (exit 2), never a file of invalid rows.
  EXPECT_THROW(read_all("Full Name\tDepartment\nAnn\tSales\n", input_format::csv), input_error);
  test::temp_dir dir;
  test::write_file(dir.path() / "hr.tsv", "Email Address\tFull Name\nann@example.com\tAnn\n");
  auto reader = open_job_reader(dir.path() / "hr.tsv", std::nullopt, reader_options{});
  EXPECT_EQ(as_job(*reader->next()).name, "ann@example.com") << ".tsv is read as a CSV with tabs";
}

TEST(CsvReader, EmptyInputHasNoRows) {
  EXPECT_TRUE(read_all("", input_format::csv).empty());
  EXPECT_TRUE(read_all("user_id\n", input_format::csv).empty());
}

TEST(CsvReader, StreamsAHundredThousandRowsWithExactLineNumbers) {
  std::string text = "user_id\n";
  for (int i = 0; i < 100000; ++i)
    text += "user-" + std::to_string(i) + "\n";
  auto reader =
      make_job_reader(std::make_unique<std::istringstream>(text), input_format::csv, {}, "big.csv");
  std::uint64_t n = 0;
  while (auto row = reader->next()) {
    const auto& j = std::get<job>(*row);
    ASSERT_EQ(j.line, n + 2);
    ASSERT_EQ(j.user_id, "user-" + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(n, 100000u);
  EXPECT_EQ(reader->bytes_read(), text.size());
}

}  // namespace
}  // namespace devreset::io
