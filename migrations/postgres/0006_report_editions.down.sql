DROP TABLE IF EXISTS report_link_use;
DROP TABLE IF EXISTS report_edition;
