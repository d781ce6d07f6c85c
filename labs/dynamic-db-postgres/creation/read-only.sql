-- Vault runs this for each new role.
CREATE ROLE "{{name}}" WITH LOGIN
  PASSWORD '{{password}}'
  VALID UNTIL '{{expiration}}';
GRANT SELECT
  ON ALL TABLES IN SCHEMA public
  TO "{{name}}";
