// The one error type as a value: its reason read from codes (never from text), the advice that
// follows from the reason, and the work unit in its context.
#include <catch2/catch.hpp>

#include <string>

#include "copier/error.hpp"

using namespace ferry;

namespace {

Error Refused(const char* sqlstate, int native, const char* text) {
  return Error(ErrorCode::kDriver, "statement failed", ErrorContext{},
               {Diagnostic{sqlstate, native, text}});
}

}  // namespace

TEST_CASE("an error's reason comes from its SQLSTATE, whatever its text says", "[error]") {
  CHECK(Refused("23505", 0, "anything").reason() == ErrorReason::kDuplicateKey);
  CHECK(Refused("23502", 0, "anything").reason() == ErrorReason::kNullRefused);
  CHECK(Refused("23503", 0, "anything").reason() == ErrorReason::kForeignKey);
  CHECK(Refused("22001", 0, "anything").reason() == ErrorReason::kValueDoesNotFit);
  CHECK(Refused("42501", 0, "anything").reason() == ErrorReason::kPermission);
  CHECK(Refused("08006", 0, "anything").reason() == ErrorReason::kConnectionLost);
  // Text that names a duplicate entry is not a reason: only codes are.
  CHECK(Refused("HY000", 0, "Duplicate entry '1' for key 'PRIMARY'").reason() ==
        ErrorReason::kUnknown);
}

TEST_CASE("an error's reason comes from the engine's number where its SQLSTATE is generic",
          "[error]") {
  CHECK(Refused("23000", 1062, "x").reason() == ErrorReason::kDuplicateKey);  // MariaDB
  CHECK(Refused("23000", 1048, "x").reason() == ErrorReason::kNullRefused);
  CHECK(Refused("23000", 1452, "x").reason() == ErrorReason::kForeignKey);
  CHECK(Refused("42000", 1142, "x").reason() == ErrorReason::kPermission);
  CHECK(Refused("23000", 2067, "x").reason() == ErrorReason::kDuplicateKey);  // SQLite UNIQUE
  CHECK(Refused("23000", 1299, "x").reason() == ErrorReason::kNullRefused);   // SQLite NOT NULL
  CHECK(Refused("23000", 787, "x").reason() == ErrorReason::kForeignKey);     // SQLite FK
}

TEST_CASE("a value ferry refuses and a connection ferry loses have their reasons by code",
          "[error]") {
  CHECK(Error(ErrorCode::kData, "value does not fit").reason() == ErrorReason::kValueDoesNotFit);
  CHECK(Error(ErrorCode::kConnection, "cannot reach").reason() == ErrorReason::kConnectionLost);
  CHECK(Error(ErrorCode::kSchema, "no such column").reason() == ErrorReason::kUnknown);
  Error told = Error(ErrorCode::kDriver, "x").WithReason(ErrorReason::kPermission);
  CHECK(told.reason() == ErrorReason::kPermission);
}

TEST_CASE("every known reason has advice and an unknown one has none", "[error]") {
  for (ErrorReason reason :
       {ErrorReason::kDuplicateKey, ErrorReason::kValueDoesNotFit, ErrorReason::kNullRefused,
        ErrorReason::kForeignKey, ErrorReason::kPermission, ErrorReason::kConnectionLost}) {
    CHECK(std::string(AdviceFor(reason)).size() > 10);
  }
  CHECK(std::string(AdviceFor(ErrorReason::kUnknown)).empty());
}

TEST_CASE("an error names its table and work unit once, keeping what an inner layer set",
          "[error]") {
  Error e = Refused("23505", 0, "duplicate key value violates unique constraint");
  e.WithTable("public.orders").WithUnit("3 of 8, [(10), (20))");
  e.WithTable("public.other").WithUnit("1 of 2, [-inf, (5))");
  CHECK(e.context().table == "public.orders");
  CHECK(e.context().unit == "3 of 8, [(10), (20))");
  const std::string text = e.what();
  CHECK(text.rfind("table public.orders: statement failed [unit 3 of 8, [(10), (20))]", 0) == 0);
  CHECK(text.find("[23505]") != std::string::npos);
  e.WithAdvice(AdviceFor(e.reason()));
  CHECK(std::string(e.what()).find("\n  advice: the destination already holds a row") !=
        std::string::npos);
}
