-- The bundled seed schema of the Sandbox seed job (constructs/lifecycle/seed): the same
-- ILLUSTRATIVE volunteer schema the scrub engine's tests use (test/scrub/fixtures/volunteer-schema.sql),
-- NOT the ClinSpark schema. Point `environments.sandbox.seed.schema` at the release's own schema to
-- seed the real tables (README "Sandbox seed"). Statements must be idempotent (IF NOT EXISTS).
-- An ILLUSTRATIVE volunteer schema for the PII scrub tests and config/scrub/volunteers.rules.yaml.
-- It is not the ClinSpark schema: adapt the rules to the real schema of the release being validated.
--
-- volunteers     the volunteer database: names, date of birth, contact details, national identifier, notes
-- contacts       emergency contacts of a volunteer (the same e-mail address may appear in volunteers)
-- visits         clinic visits of a volunteer in a study
-- lab_results    results of a visit
-- audit_events   application audit trail (free text that quotes volunteers' data): truncated
-- studies        study catalogue, no personal data: not named in the rules, never touched

CREATE TABLE IF NOT EXISTS studies (
  code VARCHAR(20) NOT NULL PRIMARY KEY,
  title VARCHAR(200) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS volunteers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  volunteer_number VARCHAR(20) NOT NULL,
  first_name VARCHAR(100) NOT NULL,
  middle_name VARCHAR(100) NULL,
  last_name VARCHAR(100) NOT NULL,
  date_of_birth DATE NULL,
  sex CHAR(1) NOT NULL,
  email VARCHAR(255) NULL,
  phone VARCHAR(32) NULL,
  address_line VARCHAR(200) NULL,
  city VARCHAR(100) NULL,
  postal_code VARCHAR(16) NULL,
  country CHAR(2) NULL,
  national_id VARCHAR(32) NULL,
  notes TEXT NULL,
  registered_at DATETIME NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  status VARCHAR(16) NOT NULL DEFAULT 'active',
  UNIQUE KEY uq_volunteer_number (volunteer_number),
  UNIQUE KEY uq_volunteer_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS contacts (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  volunteer_id INT UNSIGNED NOT NULL,
  full_name VARCHAR(200) NOT NULL,
  relationship VARCHAR(32) NOT NULL,
  email VARCHAR(255) NULL,
  phone VARCHAR(32) NULL,
  CONSTRAINT fk_contacts_volunteer FOREIGN KEY (volunteer_id) REFERENCES volunteers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS visits (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  volunteer_id INT UNSIGNED NOT NULL,
  study_code VARCHAR(20) NOT NULL,
  visit_date DATE NOT NULL,
  checked_in_at DATETIME NULL,
  weight_kg DECIMAL(5,1) NULL,
  comments TEXT NULL,
  CONSTRAINT fk_visits_volunteer FOREIGN KEY (volunteer_id) REFERENCES volunteers (id),
  CONSTRAINT fk_visits_study FOREIGN KEY (study_code) REFERENCES studies (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS lab_results (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  visit_id BIGINT UNSIGNED NOT NULL,
  volunteer_id INT UNSIGNED NOT NULL,
  analyte VARCHAR(32) NOT NULL,
  value_num DECIMAL(10,3) NULL,
  unit VARCHAR(16) NULL,
  collected_at DATETIME NOT NULL,
  CONSTRAINT fk_lab_visit FOREIGN KEY (visit_id) REFERENCES visits (id),
  CONSTRAINT fk_lab_volunteer FOREIGN KEY (volunteer_id) REFERENCES volunteers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS audit_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  volunteer_id INT UNSIGNED NULL,
  event VARCHAR(64) NOT NULL,
  detail TEXT NULL,
  occurred_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
