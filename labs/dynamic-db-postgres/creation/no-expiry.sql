-- No VALID UNTIL: the password works
-- until Vault drops the role.
CREATE ROLE "{{name}}" WITH LOGIN
  PASSWORD '{{password}}';
GRANT SELECT
  ON ALL TABLES IN SCHEMA public
  TO "{{name}}";
