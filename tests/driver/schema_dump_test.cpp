// Cutting the engines' own schema text into objects: pg_dump's plain script by its entry
// headers, and MariaDB's SHOW CREATE TABLE into what comes before and after the data.
#include <catch2/catch.hpp>

#include "drivers/mariadb/schema_dump.hpp"
#include "drivers/postgres/pg_dump.hpp"

using namespace ferry;

namespace {

const char* kPostData = R"(--
-- PostgreSQL database dump
--

\restrict abc

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;

SET default_tablespace = '';

--
-- Name: film film_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.film
    ADD CONSTRAINT film_pkey PRIMARY KEY (film_id);


--
-- Name: idx_title; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_title ON public.film USING btree (title);


--
-- Name: payment_p1_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.payment_pkey ATTACH PARTITION public.payment_p1_pkey;


--
-- Name: film film_audit_trigger; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER film_audit_trigger AFTER INSERT ON public.film FOR EACH ROW EXECUTE FUNCTION public.audit_film();


--
-- Name: film film_language_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.film
    ADD CONSTRAINT film_language_id_fkey FOREIGN KEY (language_id) REFERENCES public.language(language_id);


--
-- Name: "Odd Table" "Odd Key"; Type: CONSTRAINT; Schema: Sales; Owner: -
--

ALTER TABLE ONLY "Sales"."Odd Table"
    ADD CONSTRAINT "Odd Key" UNIQUE (a);


--
-- PostgreSQL database dump complete
--

\unrestrict abc

)";

}  // namespace

TEST_CASE("a pg_dump script is cut into its entries, each with its table and wave",
          "[schema_clone]") {
  std::vector<std::string> setup;
  std::vector<SchemaObject> objects = pg::SplitDump(kPostData, true, &setup);
  REQUIRE(objects.size() == 6);
  CHECK(setup == std::vector<std::string>{"SET statement_timeout = 0;",
                                          "SELECT pg_catalog.set_config('search_path', '', false);",
                                          "SET check_function_bodies = false;",
                                          "SET default_tablespace = '';"});
  CHECK(objects[0].kind == "CONSTRAINT");
  CHECK(objects[0].name == "film film_pkey");
  CHECK(objects[0].sql ==
        "ALTER TABLE ONLY public.film\n    ADD CONSTRAINT film_pkey PRIMARY KEY (film_id);");
  CHECK(objects[0].table == TableName{"public", "film"});
  CHECK(objects[0].wave == 0);
  CHECK(objects[1].kind == "INDEX");
  CHECK(objects[1].table == TableName{"public", "film"});
  CHECK(objects[1].wave == 0);
  CHECK(objects[2].kind == "INDEX ATTACH");
  CHECK(objects[2].wave == 1);
  CHECK(objects[3].kind == "TRIGGER");
  CHECK(objects[3].table == TableName{"public", "film"});
  CHECK(objects[3].wave > 2);
  CHECK(objects[4].kind == "FK CONSTRAINT");
  CHECK(objects[4].wave == 2);
  // Quoted names keep their case and spaces; psql's meta-commands never reach the server.
  CHECK(objects[5].table == TableName{"Sales", "Odd Table"});
  for (const SchemaObject& o : objects) CHECK(o.sql.find("\\unrestrict") == std::string::npos);
}

TEST_CASE(
    "a MariaDB table is created with its primary key and checks, its indexes and "
    "foreign keys come after the data",
    "[schema_clone]") {
  const std::string create =
      "CREATE TABLE `film` (\n"
      "  `film_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,\n"
      "  `title` varchar(128) NOT NULL,\n"
      "  `description` text DEFAULT NULL,\n"
      "  `language_id` tinyint(3) unsigned NOT NULL,\n"
      "  PRIMARY KEY (`film_id`),\n"
      "  KEY `idx_title` (`title`),\n"
      "  UNIQUE KEY `title_language` (`title`,`language_id`),\n"
      "  FULLTEXT KEY `idx_description` (`description`),\n"
      "  CONSTRAINT `fk_film_language` FOREIGN KEY (`language_id`) REFERENCES `language` "
      "(`language_id`) ON UPDATE CASCADE,\n"
      "  CONSTRAINT `film_rental_rate_check` CHECK (`film_id` >= 0)\n"
      ") ENGINE=InnoDB AUTO_INCREMENT=41 DEFAULT CHARSET=utf8mb4";
  mariadb::SplitTable split = mariadb::SplitCreateTable(create, "`film`");
  CHECK(split.create ==
        "CREATE TABLE `film` (\n"
        "  `film_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,\n"
        "  `title` varchar(128) NOT NULL,\n"
        "  `description` text DEFAULT NULL,\n"
        "  `language_id` tinyint(3) unsigned NOT NULL,\n"
        "  PRIMARY KEY (`film_id`),\n"
        "  CONSTRAINT `film_rental_rate_check` CHECK (`film_id` >= 0)\n"
        ") ENGINE=InnoDB AUTO_INCREMENT=41 DEFAULT CHARSET=utf8mb4");
  CHECK(split.indexes ==
        std::vector<std::string>{
            "ALTER TABLE `film` ADD KEY `idx_title` (`title`), ADD UNIQUE KEY `title_language` "
            "(`title`,`language_id`)",
            "ALTER TABLE `film` ADD FULLTEXT KEY `idx_description` (`description`)"});
  CHECK(split.foreign_keys ==
        std::vector<std::string>{"ALTER TABLE `film` ADD CONSTRAINT `fk_film_language` FOREIGN "
                                 "KEY (`language_id`) REFERENCES `language` (`language_id`) ON "
                                 "UPDATE CASCADE"});
}

TEST_CASE("the key an AUTO_INCREMENT column needs stays in its MariaDB CREATE TABLE",
          "[schema_clone]") {
  const std::string create =
      "CREATE TABLE `t` (\n"
      "  `code` char(3) NOT NULL,\n"
      "  `n` int(11) NOT NULL AUTO_INCREMENT,\n"
      "  PRIMARY KEY (`code`),\n"
      "  KEY `n` (`n`),\n"
      "  KEY `other` (`code`,`n`)\n"
      ") ENGINE=InnoDB";
  mariadb::SplitTable split = mariadb::SplitCreateTable(create, "`t`");
  CHECK(split.create.find("KEY `n` (`n`)\n") != std::string::npos);
  CHECK(split.indexes == std::vector<std::string>{"ALTER TABLE `t` ADD KEY `other` (`code`,`n`)"});
}

TEST_CASE("a spatial column's REF_SYSTEM_ID goes back after its type in a MariaDB CREATE TABLE",
          "[schema_clone]") {
  const std::string create =
      "CREATE TABLE `places` (\n"
      "  `id` int(11) NOT NULL,\n"
      "  `at` point NOT NULL,\n"
      "  `a``b` polygon DEFAULT NULL,\n"
      "  `plain` geometry,\n"
      "  PRIMARY KEY (`id`),\n"
      "  SPATIAL KEY `at` (`at`)\n"
      ") ENGINE=InnoDB";
  CHECK(mariadb::WithSrids(create, {{"at", "4326"}, {"a`b", "3857"}}) ==
        "CREATE TABLE `places` (\n"
        "  `id` int(11) NOT NULL,\n"
        "  `at` point REF_SYSTEM_ID=4326 NOT NULL,\n"
        "  `a``b` polygon REF_SYSTEM_ID=3857 DEFAULT NULL,\n"
        "  `plain` geometry,\n"
        "  PRIMARY KEY (`id`),\n"
        "  SPATIAL KEY `at` (`at`)\n"
        ") ENGINE=InnoDB");
  // A server that prints it already keeps its own.
  const std::string printed =
      "CREATE TABLE `g` (\n  `p` point REF_SYSTEM_ID=4326,\n) ENGINE=InnoDB";
  CHECK(mariadb::WithSrids(printed, {{"p", "4326"}}) == printed);
}
