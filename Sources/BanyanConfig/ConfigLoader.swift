// The YAML loader for banyan.yaml.
