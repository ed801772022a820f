from rest_framework import serializers

from agencies.models import Agency


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "name_en", "kind", "hotline", "jurisdiction"]
        read_only_fields = fields


class AgencyBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "code", "name", "name_en", "kind"]
        read_only_fields = fields
