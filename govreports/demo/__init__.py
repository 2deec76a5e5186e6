"""The bundled demo: five real reports served on 127.0.0.1 by fake agency sites in several CMS styles."""
