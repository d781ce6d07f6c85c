-- Log in, and nothing more.
CREATE ROLE "{{name}}" WITH LOGIN
  PASSWORD '{{password}}'
  VALID UNTIL '{{expiration}}';
